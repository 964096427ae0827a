using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// The node misbehaves around the daemon: its run dir is full, the journal is gone, the `flux`
/// command hangs, fails or is missing. Each fails only the prologs it touches, with a message
/// naming the cause; the daemon keeps serving and leaves nothing half-written.
/// </summary>
public sealed class EnvironmentFaultSpec
{
    private static async Task<string> ProbesAsync(DaemonProcess daemon)
    {
        var probes = Path.Combine(daemon.WorkDir, "probes.json.gz");
        await File.WriteAllBytesAsync(probes, DaemonProcess.ValidProbes);
        return probes;
    }

    private static async Task StillServingAsync(DaemonProcess daemon) =>
        Assert.Equal(ReplyStatus.Ok, (await daemon.SendAsync(new ControlRequest { Op = Operation.Status })).Status);

    [Fact]
    public async Task A_full_run_dir_fails_prologs_with_the_reason_leaves_no_partial_file_and_recovers()
    {
        var workDir = Directory.CreateTempSubdirectory("datacrumbs-full-").FullName;
        var runDir = Path.Combine(workDir, "run");
        Directory.CreateDirectory(runDir);
        (await Run.CommandAsync("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", runDir)).EnsureSuccess("mount a 64 KiB tmpfs");
        try
        {
            await using var daemon = await DaemonProcess.StartAsync(workDir);
            var probes = await ProbesAsync(daemon);
            var filler = Path.Combine(runDir, "filler");

            // Completely full: the probe copy, the first file a prolog writes, cannot be made.
            await FillAsync(filler, leave: 0);
            var full = await daemon.SendAsync(WrapperRequests.Start(new JobId(7001), TestUsers.Alice.Uid, probes));
            Assert.Equal(Outcome.Failed, full.Outcome);
            Assert.Equal(LifecycleState.Resolving, full.State);
            Assert.Contains("No space left on device", full.Message);
            Assert.Equal(new[] { "filler" }, daemon.Leftovers());

            // One page left: the probe copy fits, the env file does not.
            await FillAsync(filler, leave: 4096);
            var env = await daemon.SendAsync(WrapperRequests.Start(new JobId(7002), TestUsers.Alice.Uid, probes));
            Assert.Equal(Outcome.Failed, env.Outcome);
            Assert.Equal(LifecycleState.WritingEnv, env.State);
            Assert.Contains("No space left on device", env.Message);
            Assert.Equal(new[] { "filler" }, daemon.Leftovers()); // no temp file, no env file, the probe copy removed
            await StillServingAsync(daemon);

            File.Delete(filler);
            var job = new JobId(7003);
            Assert.Equal(Outcome.Ready, (await daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes))).Outcome);
            Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
            Assert.Empty(daemon.Leftovers());
        }
        finally
        {
            await Run.CommandAsync("umount", "-l", runDir);
            Directory.Delete(workDir, recursive: true);
        }

        // Fills the file system until only `leave` bytes are free: ENOSPC ends the writing.
        static async Task FillAsync(string path, long leave)
        {
            File.Delete(path);
            var free = new DriveInfo(Path.GetDirectoryName(path)!).AvailableFreeSpace;
            await using var file = File.Create(path);
            try { await file.WriteAsync(new byte[Math.Max(0, free - leave)]); await file.FlushAsync(); }
            catch (IOException) { } // full before the end: that is the point
        }
    }

    [Fact]
    public async Task A_missing_journal_socket_is_said_once_and_the_daemon_works_on()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-journal-{Guid.NewGuid():N}", "socket");
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["Log"] = "Journal", ["JournalSocket"] = missing });
        var probes = await ProbesAsync(daemon);

        for (var i = 0; i < 3; i++)
        {
            var job = new JobId(7100 + (ulong)i);
            Assert.Equal(Outcome.Ready, (await daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes))).Outcome);
            Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        }

        var said = daemon.Log.Split('\n').Count(line => line.Contains($"journal socket {missing} unavailable"));
        Assert.Equal(1, said);
        Assert.Contains("logging to the console instead", daemon.Log);
        Assert.Contains("tracer ready after", daemon.Log); // the entries themselves reach the console
        daemon.DeleteWorkDir();
    }

    [Fact]
    public async Task A_hanging_failing_or_missing_flux_fails_only_that_prolog_with_the_reason()
    {
        using var flux = await StandInFlux.CreateAsync("fail", "{}");
        await using var daemon = await DaemonProcess.StartAsync(settings: new()
        {
            ["FluxCommand"] = flux.Command,
            ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 2, ["Ready"] = 30, ["Stop"] = 20 },
        });
        ControlRequest Prolog(ulong id) => new() { Op = Operation.Prolog, Job = id.ToString(), Uid = TestUsers.Alice.Uid, FluxUri = "local:///run/flux/local" };

        var failed = await daemon.SendAsync(Prolog(7201));
        Assert.Equal(Outcome.Failed, failed.Outcome);
        Assert.Contains("flux job info failed (exit 1): flux-job: 1234: job not found", failed.Message);

        await File.WriteAllTextAsync(Path.Combine(flux.Dir, "mode"), "hang");
        (await Run.CommandAsync("mkfifo", flux.StartedFifo)).EnsureSuccess("mkfifo");
        var hanging = daemon.SendAsync(Prolog(7202));
        var (pid, child) = await flux.WaitStartedAsync();
        await StillServingAsync(daemon); // the hang blocks one lifecycle, not the daemon
        var hung = await hanging;
        Assert.Equal(Outcome.Failed, hung.Outcome);
        Assert.Contains("failed in Resolving: timed out after 2 s", hung.Message);
        await TracerProcesses.WaitExitAsync(pid); // the hung flux and what it started are killed
        await TracerProcesses.WaitExitAsync(child);

        File.Move(flux.Command, flux.Command + ".gone");
        var missing = await daemon.SendAsync(Prolog(7203));
        Assert.Equal(Outcome.Failed, missing.Outcome);
        Assert.Contains($"cannot run '{flux.Command}' to read the jobspec", missing.Message);

        File.Move(flux.Command + ".gone", flux.Command);
        await File.WriteAllTextAsync(Path.Combine(flux.Dir, "mode"), "answer");
        var job = new JobId(7204);
        var probes = await ProbesAsync(daemon);
        await File.WriteAllTextAsync(Path.Combine(flux.Dir, "jobspec.json"),
            "{\"attributes\":{\"system\":{\"datacrumbs\":{\"enable\":\"yes\",\"probe_file\":\"" + probes + "\"}}}}");
        Assert.Equal(Outcome.Ready, (await daemon.SendAsync(Prolog(job.Value))).Outcome);
        Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(daemon.Leftovers());
        daemon.DeleteWorkDir();
    }
}
