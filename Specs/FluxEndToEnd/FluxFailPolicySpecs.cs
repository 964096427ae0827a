using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.FluxEndToEnd;

/// <summary>The same paths with the daemon's on-failure = fail: the prolog hook exits non-zero and Flux cancels the job.</summary>
public sealed class FluxFailPolicySpecs(FailNode fixture) : IClassFixture<FailNode>
{
    private readonly FluxNode _node = fixture.Node;

    [Theory]
    [InlineData("\"yes\"", "attributes.system.datacrumbs is a string, not an object")]
    [InlineData("""{"enable":"yes","probe_file":"probes.json.gz"}""", "probe_file is not an absolute path")]
    public async Task A_malformed_request_cancels_the_job_without_a_non_fatal_exception(string datacrumbs, string problem)
    {
        var job = FluxNode.NewJob();
        var id = job.Format(JobIdFormat.F58);
        await _node.Submitted(job, FluxNode.Jobspec(datacrumbs));

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(1, prolog.ExitCode);
        Assert.StartsWith($"datacrumbs: {job}: FAILED:", prolog.Stdout);
        Assert.Contains(problem, prolog.Stdout);
        Assert.Empty(_node.RaisesFor(id)); // Flux's own fatal exception tells the user
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

        Assert.Equal(1, prolog.ExitCode);
        Assert.Contains("tracer exited with code 3", prolog.Stdout);
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
