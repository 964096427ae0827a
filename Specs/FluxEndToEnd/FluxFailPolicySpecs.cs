using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.FluxEndToEnd;

/// <summary>
/// The same paths with the daemon's on-failure = fail: the prolog hook cancels the job with a
/// fatal exception carrying the reason and exits 0, so Flux drains no node (RealFlux/FailPolicySpecs
/// proves it on a real Flux). The stand-in `flux` stays here for the exact raise arguments.
/// </summary>
public sealed class FluxFailPolicySpecs(FailNode fixture) : IClassFixture<FailNode>
{
    private readonly FluxNode _node = fixture.Node;

    [Theory]
    [InlineData("\"yes\"", "attributes.system.datacrumbs is a string, not an object")]
    [InlineData("""{"enable":"yes","probe_file":"probes.json.gz"}""", "probe_file is not an absolute path")]
    public async Task A_malformed_request_cancels_the_job_with_one_fatal_exception_naming_the_problem(string datacrumbs, string problem)
    {
        var job = FluxNode.NewJob();
        var id = job.Format(JobIdFormat.F58);
        await _node.Submitted(job, FluxNode.Jobspec(datacrumbs));

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode); // non-zero would drain the node
        Assert.StartsWith($"datacrumbs: {job}: FAILED:", prolog.Stdout);
        Assert.Contains(problem, prolog.Stdout);
        Assert.EndsWith("(on-failure=fail: job canceled)\n", prolog.Stdout);
        var raise = Assert.Single(_node.RaisesFor(id));
        Assert.Equal(["job", "raise", "--severity=0", "--type=datacrumbs", "--message=" + prolog.Stdout.TrimEnd('\n'), id], raise);
        Assert.Empty(_node.LeftoversOf(job));

        var epilog = await _node.EpilogAsync(id); // Flux runs it after the failed prolog
        Assert.Equal(0, epilog.ExitCode);
        Assert.StartsWith($"datacrumbs: {job}: stopped:", epilog.Stdout);
    }

    [Fact]
    public async Task A_tracer_that_fails_cancels_the_job_and_leaves_nothing()
    {
        var job = FluxNode.NewJob();
        var id = job.Format(JobIdFormat.F58Plain);
        await _node.Submitted(job, _node.TracedJobspec());
        await _node.Daemon.TracerBehaves(job.ToString(), "fail");

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode);
        Assert.Contains("tracer exited with code 3", prolog.Stdout);
        Assert.Equal("--severity=0", Assert.Single(_node.RaisesFor(id))[2]);
        Assert.Empty(_node.LeftoversOf(job));
        Assert.Equal(0, (await _node.EpilogAsync(id)).ExitCode);
    }

    [Fact]
    public async Task A_job_that_did_not_ask_still_runs()
    {
        var job = FluxNode.NewJob();
        await _node.Submitted(job, FluxNode.Jobspec("""{"enable":"no"}"""));
        var prolog = await _node.PrologAsync(job.Format(JobIdFormat.F58));
        Assert.Equal(0, prolog.ExitCode);
        Assert.Equal("", prolog.Stdout);
    }
}
