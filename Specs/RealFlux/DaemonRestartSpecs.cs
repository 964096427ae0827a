using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Reliability;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// A daemon crash while a traced job runs on a real Flux: datacrumbsd is SIGKILLed and started
/// again on the same run dir (what systemd's Restart=on-failure does), the new daemon adopts the
/// running tracer, the job runs to its normal end, and its epilog, answered by the new daemon,
/// stops the adopted tracer and removes everything. Process backend only: the real-Flux harness
/// runs its daemons as plain processes; the same crash under the real systemd (daemon and tracer
/// as units) is SystemdCrashRestartSpec's, without Flux.
/// The job's tasks wait on a file lock the spec holds (flock --shared), so the job is certainly
/// still running across the kill and the restart, and ends the moment the spec lets it.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class DaemonRestartSpecs(RealFluxInstance flux)
{
    /// <summary>Live processes of the job's tracer (and anything it forked): they carry the job id in their environment.</summary>
    private IEnumerable<int> TracerProcessesOf(JobId job) =>
        TracerProcesses.Of(flux.Daemon.ControlDir).Where(pid =>
        {
            try { return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains($"DATACRUMBS_JOB_ID={job}"); }
            catch (IOException) { return false; } // gone meanwhile
        });

    [SkippableFact]
    public async Task A_daemon_killed_and_restarted_while_a_traced_job_runs_adopts_the_tracer_and_the_epilog_leaves_nothing()
    {
        flux.Require();
        var probes = await flux.SignedProbesForAsync("dcalice", $"probes-{Guid.NewGuid():N}.json.gz");
        var release = Path.Combine(flux.JobDir, $"release-{Guid.NewGuid():N}");
        var hold = await HeldFileLock.TakeAsync(release, RealFluxInstance.Generous);
        string? job = null;
        try
        {
            job = (await flux.AsUserAsync("dcalice", "submit", "-N2", "--datacrumbs-enable", "--datacrumbs-probe-file", Path.GetFileName(probes),
                "flock", "--shared", "--timeout=600", release, "true")).EnsureSuccess("flux submit").Stdout.Trim();
            // Every rank's prolog has answered Ready: the tracer is ready and the tasks wait for the release.
            (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "start")).EnsureSuccess("flux job wait-event start");
            var id = new JobId(ulong.Parse((await flux.AsUserAsync("dcalice", "job", "id", job)).EnsureSuccess("flux job id").Stdout.Trim()));
            var tracer = flux.Daemon.TracerPid(id);
            Assert.True(File.Exists(Path.Combine(flux.Daemon.RunDir, JobNames.ReadyFile(id))), "the tracer is ready before the crash");

            await flux.KillAndRestartDaemonAsync(); // returns once the new daemon serves

            await flux.Daemon.WaitForLogAsync($"{id} (dcalice, Ready): adopted a running tracer found after a daemon restart");
            Assert.True(TracerProcesses.IsAlive(tracer), "the tracer outlives the daemon's crash");
            Assert.Equal(tracer, flux.Daemon.TracerPid(id)); // adopted, not started again
            var status = (await flux.Daemon.CtlAsync(null, "status")).EnsureSuccess("datacrumbsctl status").Stdout.Split('\n');
            Assert.Contains(" Ready ", Assert.Single(status, l => l.StartsWith($"{id} ", StringComparison.Ordinal)));

            await hold.DisposeAsync(); // the tasks end normally; then the epilogs, answered by the new daemon
            (await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean")).EnsureSuccess("flux job wait-event clean");

            var eventlog = (await flux.AsUserAsync("dcalice", "job", "eventlog", job)).EnsureSuccess("flux job eventlog").Stdout.Split('\n');
            Assert.Contains("status=0", Assert.Single(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "finish"));
            Assert.DoesNotContain(eventlog, l => l.Split(' ').ElementAtOrDefault(1) == "exception"); // the user saw nothing of the crash
            Assert.Contains(flux.Daemon.Log.Split('\n'), l => l.Contains($"{id} (", StringComparison.Ordinal) && l.Contains("tracing stopped, nothing left", StringComparison.Ordinal));
            Assert.False(TracerProcesses.IsAlive(tracer), $"the adopted tracer was stopped: {TracerProcesses.Describe(tracer)}");
            Assert.Empty(TracerProcessesOf(id).Select(TracerProcesses.Describe));
            Assert.DoesNotContain(flux.Daemon.Leftovers(), n => n.Contains(id.ToString(), StringComparison.Ordinal)); // no env, ready, pid file or probe copy
            var drained = (await flux.AsOwnerAsync("resource", "drain", "--no-header")).EnsureSuccess("flux resource drain");
            Assert.Equal("", drained.Stdout.Trim());
        }
        finally
        {
            await hold.DisposeAsync();
            if (job is not null)
            {
                await flux.AsUserAsync("dcalice", "cancel", job);
                await flux.AsUserAsync("dcalice", "job", "wait-event", "--timeout=100", job, "clean");
            }
        }
    }
}
