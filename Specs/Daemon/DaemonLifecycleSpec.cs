using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>The real daemon, socket, client, tracer processes and files: whole lifecycles and tracer faults.</summary>
public sealed class DaemonLifecycleSpec() : DaemonSpec()
{
    /// <summary>Running: a zombie (waiting for its new parent to reap it) has exited.</summary>
    private static bool IsAlive(int pid) => ProcessIdentity.Of(pid) is not null;

    [Fact]
    public async Task Prolog_then_epilog_through_the_real_client_leaves_no_process_and_no_file()
    {
        var start = await Daemon.CtlAsync(null, "wrapper", "start", "ƒNH", "dcalice", Daemon.ProbeFile);
        Assert.Equal(0, start.ExitCode);
        Assert.Contains("datacrumbs: fNH: ready:", start.Stdout);

        var job = JobId.Parse("1234");
        var env = await File.ReadAllTextAsync(Path.Combine(Daemon.RunDir, "datacrumbs-fNH.env"));
        Assert.Contains("DATACRUMBS_JOB_ID=\"fNH\"", env);
        Assert.Contains($"DATACRUMBS_UID=\"{TestUsers.Alice.Uid}\"", env);
        Assert.True(File.Exists(Path.Combine(Daemon.RunDir, "datacrumbs-fNH.ready")));
        var pid = Daemon.TracerPid(job);
        Assert.True(IsAlive(pid));

        var status = await Daemon.CtlAsync(null, "status", "--json");
        Assert.Contains("\"state\":\"Ready\"", status.Stdout);

        var stop = await Daemon.CtlAsync(null, "wrapper", "stop", "1234", Daemon.ProbeFile);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("stopped", stop.Stdout);
        Assert.False(IsAlive(pid));
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task A_tracer_that_crashes_before_ready_fails_the_prolog_at_once_and_leaves_nothing()
    {
        var job = new JobId(4001);
        await Daemon.TracerBehaves(job.ToString(), "fail");

        var reply = await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.AwaitingReady, reply.State);
        Assert.Contains("tracer exited with code 3", reply.Message);
        Assert.Equal(FailurePolicy.Continue, reply.Policy);
        Assert.Empty(Daemon.Leftovers());
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Fact]
    public async Task A_tracer_that_never_becomes_ready_fails_at_the_ready_timeout_and_is_stopped()
    {
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["Timeouts"] = new Dictionary<string, double> { ["Ready"] = 2 } });
        var job = new JobId(4002);
        await daemon.TracerBehaves(job.ToString(), "never-ready");

        var reply = await daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile));

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Contains("timed out after 2 s", reply.Message);
        Assert.Empty(daemon.Leftovers());
        daemon.DeleteWorkDir();
    }

    [Fact]
    public async Task A_tracer_that_ignores_SIGTERM_is_killed_after_the_grace_period()
    {
        var job = new JobId(4003);
        await Daemon.TracerBehaves(job.ToString(), "ignore-term");
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        var pid = Daemon.TracerPid(job);

        var reply = await Daemon.SendAsync(WrapperRequests.Stop(job));

        Assert.Equal(Outcome.Stopped, reply.Outcome);
        Assert.False(IsAlive(pid));
        Assert.Empty(Daemon.Leftovers());
        Assert.Contains("did not finish on SIGINT", Daemon.Log);
    }

    [Fact]
    public async Task A_tracer_that_forks_leaves_no_straggler_after_the_epilog()
    {
        var job = new JobId(4004);
        await Daemon.TracerBehaves(job.ToString(), "fork-child");
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        var group = Daemon.TracerPid(job);
        var members = ProcessGroup.Members(group);
        Assert.True(members.Count >= 2, $"the tracer and its child, not {members.Count} process(es)");

        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);

        Assert.Empty(ProcessGroup.Members(group)); // the epilog answers only once the whole group is gone
    }

    [Fact]
    public async Task Concurrent_duplicate_prologs_of_one_job_start_one_tracer_and_get_the_same_answer()
    {
        var job = new JobId(4005);
        var replies = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))));

        Assert.All(replies, r => Assert.Equal(Outcome.Ready, r.Outcome));
        Assert.Single(Directory.EnumerateFiles(Daemon.RunDir, "*.pid"));
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task An_epilog_for_a_job_never_seen_succeeds()
    {
        var reply = await Daemon.SendAsync(WrapperRequests.Stop(new JobId(4006)));
        Assert.Equal(Outcome.Stopped, reply.Outcome);
    }

    [Fact]
    public async Task A_daemon_killed_while_jobs_run_adopts_them_on_restart_and_their_epilogs_stop_them()
    {
        var jobs = Enumerable.Range(0, 5).Select(i => new JobId(5000 + (ulong)i)).ToList();
        foreach (var reply in await Task.WhenAll(jobs.Select(j => Daemon.SendAsync(WrapperRequests.Start(j, TestUsers.Alice.Uid, Daemon.ProbeFile)))))
            Assert.Equal(Outcome.Ready, reply.Outcome);
        var pids = jobs.Select(Daemon.TracerPid).ToList();

        Daemon.Kill();
        Assert.All(pids, pid => Assert.True(IsAlive(pid))); // tracers belong to running jobs: they survive the daemon
        var restarted = await Daemon.RestartAsync();
        await using var _ = restarted;
        var status = await restarted.SendAsync(new ControlRequest { Op = Operation.Status });
        Assert.Equal(5, status.Jobs!.Count(s => s.State == LifecycleState.Ready));

        foreach (var reply in await Task.WhenAll(jobs.Select(j => restarted.SendAsync(WrapperRequests.Stop(j)))))
            Assert.Equal(Outcome.Stopped, reply.Outcome);
        Assert.All(pids, pid => Assert.False(IsAlive(pid)));
        Assert.Empty(restarted.Leftovers());
    }
}
