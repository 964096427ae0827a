using Datacrumbs.Specs.Harness;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Flux;

namespace Datacrumbs.Specs.FluxEndToEnd;

/// <summary>`flux job info` that never answers (a wedged broker): the daemon's resolve timeout ends it.</summary>
public sealed class FluxJobInfoTimeoutSpecs
{
    [Fact]
    public async Task A_hanging_flux_job_info_is_killed_at_the_resolve_timeout_and_the_job_runs_untraced()
    {
        await using var node = await FluxNode.StartAsync(new()
        {
            ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 1, ["Ready"] = 30, ["Stop"] = 20 },
        });
        var job = FluxNode.NewJob();
        var id = job.Format(JobIdFormat.F58);
        await node.Flux.BehavesFor(job.Value, "hang");

        var prolog = node.PrologAsync(id);
        var (flux, child) = await node.Flux.WaitStartedAsync();
        var fluxExited = Processes.ExitOf(flux);
        var childExited = Processes.ExitOf(child);
        var result = await prolog;

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith($"datacrumbs: {job}: FAILED:", result.Stdout);
        Assert.Contains("Resolving", result.Stdout);
        Assert.Contains("timed out after 1 s", result.Stdout);
        Assert.Single(node.RaisesFor(id));
        await fluxExited.WaitAsync(FluxNode.Generous); // flux job info was killed
        await childExited.WaitAsync(FluxNode.Generous); // its child was killed too
        Assert.Empty(node.LeftoversOf(job));
    }
}
