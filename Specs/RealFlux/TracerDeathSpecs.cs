using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// A tracer that dies while its job runs (after it was ready) on a real Flux: the job's user is
/// told by a non-fatal job exception naming the node and the cause, and the job runs on to its
/// normal end. One exception per node where a tracer died: each node's daemon speaks for its own
/// tracer only. Here both brokers share one host and one daemon, so one tracer serves the job
/// and exactly one exception is expected for the two-node job.
/// The tracer is killed (SIGKILL, as the OOM killer would) by the spec once the job has started,
/// rather than left to the stand-in's exit-after-ready mode: that mode exits right after writing
/// its ready file, and the daemon may see the exit before the ready file (a failure before ready,
/// another path). The job's start event means every prolog has answered, so the daemon is Ready.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class TracerDeathSpecs(RealFluxInstance flux)
{
    private static string Plain(string fluxId) => fluxId.Replace('ƒ', 'f');

    [SkippableFact]
    public async Task A_tracer_killed_while_its_job_runs_gives_the_user_one_non_fatal_exception_and_the_job_completes()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        // Each task waits for the job's first exception and ends normally: the job ends only after
        // the user was told, and a canceled job would not end with status 0.
        var job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
            "bash", "-c", "flux job wait-event --timeout=100 --quiet \"$FLUX_JOB_ID\" exception")).EnsureSuccess("flux submit").Stdout.Trim();
        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "start")).EnsureSuccess("flux job wait-event start");
        var id = new JobId(ulong.Parse((await flux.AsUserAsync("dcalice", "job", "id", job)).EnsureSuccess("flux job id").Stdout.Trim()));
        var tracer = flux.Daemon.TracerPid(id);

        (await Run.CommandAsync("kill", ["-KILL", tracer.ToString()], RealFluxInstance.Generous)).EnsureSuccess("kill the tracer");

        (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");
        var eventlog = (await flux.AsUserAsync("dcalice", "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout.Split('\n');
        var exception = Assert.Single(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "exception");
        Assert.Contains("type=\"datacrumbs\" severity=1", exception);
        Assert.Contains($"datacrumbs: {Plain(job)}: on node {Environment.MachineName}: the tracer ended after it was ready: tracer killed by signal 9; the job runs on untraced", exception);
        // The job memo says it too, and keeps saying it after the epilog (no trace location for a killed tracer).
        var memo = (await flux.AsUserAsync("dcalice", "jobs", "--no-header", "-o", "{annotations.user.datacrumbs}", job)).EnsureSuccess("flux jobs").Stdout;
        Assert.Contains($"\"{System.Net.Dns.GetHostName()}\": \"untraced: the tracer ended after it was ready: tracer killed by signal 9\"", memo);
        var finish = Assert.Single(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "finish");
        Assert.Contains("status=0", finish); // not canceled: both tasks saw the exception and ended normally
        Assert.DoesNotContain(flux.Daemon.Leftovers(), n => n.Contains(Plain(id.ToString()), StringComparison.Ordinal));
    }
}
