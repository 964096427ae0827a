using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// Tracer faults not covered by <see cref="Daemon.DaemonLifecycleSpec"/> (which has: crash before
/// ready, never ready, ignores SIGTERM, forks a child that lives while the tracer does): a crash
/// after ready, a leader that dies and leaves its child, a tracer command that cannot run, a clean
/// exit before ready. Each is bounded by the daemon's timeouts and leaves nothing behind.
/// </summary>
public sealed class TracerFaultSpec() : DaemonSpec()
{
    private async Task<IReadOnlyList<int>> GroupAsync(int group) =>
        (await Run.CommandAsync("pgrep", "-g", group.ToString())).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

    [Fact]
    public async Task A_tracer_that_crashes_after_ready_is_logged_marked_in_status_and_its_epilog_is_clean()
    {
        var job = new JobId(6001);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        var pid = Daemon.TracerPid(job);

        await Run.CommandAsync("kill", "-KILL", pid.ToString());
        await Daemon.WaitForLogAsync($"{job} (dcalice, Ready): the tracer ended after it was ready: tracer killed by signal 9");

        var status = await Daemon.SendAsync(new ControlRequest { Op = Operation.Status });
        var row = Assert.Single(status.Jobs!, r => r.Job == job.ToString());
        Assert.Equal(LifecycleState.Ready, row.State); // the job runs on, untraced: the epilog decides its end
        Assert.Contains("tracer killed by signal 9", row.LastError);

        var stop = await Daemon.SendAsync(WrapperRequests.Stop(job));
        Assert.Equal(Outcome.Stopped, stop.Outcome);
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task A_tracer_whose_leader_dies_leaves_no_forked_child_behind()
    {
        var job = new JobId(6002);
        await Daemon.TracerBehaves(job.ToString(), "fork-child");
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        var leader = Daemon.TracerPid(job);
        var children = (await GroupAsync(leader)).Where(p => p != leader).ToList();
        Assert.NotEmpty(children);

        await Run.CommandAsync("kill", "-KILL", leader.ToString());

        foreach (var child in children) await TracerProcesses.WaitExitAsync(child); // the group is killed when its leader ends
        Assert.DoesNotContain(await GroupAsync(leader), TracerProcesses.IsAlive); // zombies wait for init, they have exited
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task A_tracer_that_exits_cleanly_before_ready_fails_the_prolog_with_its_exit_code()
    {
        var job = new JobId(6003);
        await File.WriteAllTextAsync(Path.Combine(Daemon.ControlDir, job.ToString()), "STANDIN_MODE=fail STANDIN_EXIT_CODE=0\n");

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains("the tracer ended before it was ready: tracer exited with code 0", reply.Message);
        Assert.DoesNotContain(" unit", reply.Message); // the process backend has none: no sysadmin may go looking for one
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task A_tracer_command_that_cannot_run_fails_the_prolog_and_the_daemon_says_why()
    {
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["Tracer"] = new[] { "/nonexistent/datacrumbs-tracer" } });
        var probes = Path.Combine(daemon.WorkDir, "probes.json.gz");
        await File.WriteAllBytesAsync(probes, DaemonProcess.ValidProbes);

        var reply = await daemon.SendAsync(WrapperRequests.Start(new JobId(6004), TestUsers.Alice.Uid, probes));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains("ended before it was ready: tracer exited with code 127", reply.Message);
        await daemon.WaitForLogAsync("/nonexistent/datacrumbs-tracer"); // setsid's own words reach the log
        Assert.Empty(daemon.Leftovers());
        Assert.Equal(ReplyStatus.Ok, (await daemon.SendAsync(new ControlRequest { Op = Operation.Status })).Status);
        daemon.DeleteWorkDir();
    }
}
