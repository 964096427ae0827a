using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Systemd;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// However a traced job ends on a real Flux, nothing of it is left on the node: canceled while
/// its prolog waits for a tracer that never becomes ready, run untraced after that tracer's
/// Ready timeout, or killed at its time limit.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class JobEndSpecs(RealFluxInstance flux)
{
    private static string Plain(string fluxId) => fluxId.Replace('ƒ', 'f');

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[(stat.LastIndexOf(')') + 2)] != 'Z';

    private async Task<string> CleanEventlogAsync(string job)
    {
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        return (await flux.AsUserAsync("dcalice", "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout;
    }

    private IEnumerable<string> LeftoversOf(string job) => flux.Daemon.Leftovers().Where(n => n.Contains(Plain(job), StringComparison.Ordinal));

    [SkippableFact]
    public async Task A_job_canceled_while_its_tracer_is_not_yet_ready_leaves_nothing()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        // Held (urgency 0) until its tracer is told never to become ready.
        var job = (await flux.AsUserAsync("dcalice", "submit", "--urgency=0", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes), "true"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        await flux.Daemon.TracerBehaves(Plain(job), "never-ready");
        var pidFile = Path.Combine(flux.Daemon.RunDir, $"datacrumbs-{Plain(job)}.pid");
        var started = FileEvents.WaitAsync(pidFile, exists: true, RealFluxInstance.Generous);
        (await flux.AsUserAsync("dcalice", "job", "urgency", job, "default")).EnsureSuccess("flux job urgency");
        await started; // the tracer runs, the prologs wait for its ready file
        var tracer = flux.Daemon.TracerPid(new Messages.Jobs.JobId(ulong.Parse((await flux.AsUserAsync("dcalice", "job", "id", job)).EnsureSuccess("flux job id").Stdout.Trim())));

        (await flux.AsUserAsync("dcalice", "cancel", job)).EnsureSuccess("flux cancel");
        var eventlog = await CleanEventlogAsync(job);

        Assert.Contains("exception type=\"cancel\"", eventlog);
        Assert.DoesNotContain(eventlog.Split('\n'), l => l.Split(' ').ElementAtOrDefault(1) == "start"); // the job never ran
        Assert.False(IsAlive(tracer));
        Assert.Empty(LeftoversOf(job));
        var drained = (await flux.AsOwnerAsync("resource", "drain", "--no-header")).EnsureSuccess("flux resource drain");
        Assert.Equal("", drained.Stdout.Trim());
    }

    [SkippableFact]
    public async Task A_job_whose_tracer_never_becomes_ready_runs_untraced_after_the_ready_timeout_and_leaves_nothing()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        // Held (urgency 0) until its tracer is told never to become ready.
        var job = (await flux.AsUserAsync("dcalice", "submit", "--urgency=0", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes), "true"))
            .EnsureSuccess("flux submit").Stdout.Trim();
        await flux.Daemon.TracerBehaves(Plain(job), "never-ready");
        var pidFile = Path.Combine(flux.Daemon.RunDir, $"datacrumbs-{Plain(job)}.pid");
        var started = FileEvents.WaitAsync(pidFile, exists: true, RealFluxInstance.Generous);
        (await flux.AsUserAsync("dcalice", "job", "urgency", job, "default")).EnsureSuccess("flux job urgency");
        await started;
        var tracer = flux.Daemon.TracerPid(new Messages.Jobs.JobId(ulong.Parse((await flux.AsUserAsync("dcalice", "job", "id", job)).EnsureSuccess("flux job id").Stdout.Trim())));

        var eventlog = (await CleanEventlogAsync(job)).Split('\n');

        // Policy continue: the prologs give up at the daemon's Ready timeout, the user is told once, the job runs.
        var exception = Assert.Single(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "exception");
        Assert.Contains("type=\"datacrumbs\" severity=1", exception);
        Assert.Contains("failed in AwaitingReady: timed out after", exception);
        Assert.Contains("status=0", Assert.Single(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "finish"));
        Assert.False(IsAlive(tracer));
        Assert.Empty(LeftoversOf(job));
    }

    [SkippableFact]
    public async Task A_traced_job_killed_at_its_time_limit_leaves_nothing()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "-t", "2s", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes), "sleep", "600"))
            .EnsureSuccess("flux submit").Stdout.Trim();

        var eventlog = await CleanEventlogAsync(job);

        Assert.Contains("exception type=\"timeout\"", eventlog);
        Assert.Empty(LeftoversOf(job));
    }
}
