using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Journal;
using Datacrumbs.Specs.Systemd;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// The real datacrumbsd running as <c>datacrumbsd.service</c> under a real (sandboxed) systemd,
/// starting each job's tracer as <c>datacrumbs@&lt;job&gt;.service</c> from the shipped unit
/// files, driven from outside through its socket as Flux's hooks drive it. Every spec starts
/// with the daemon active and ends with nothing of its jobs left.
/// </summary>
public sealed class SystemdDaemonSpec(SystemdDaemonFixture node) : IClassFixture<SystemdDaemonFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = SystemdDaemonFixture.Patience;
    private const string Daemon = SystemdDaemonFixture.Daemon;

    public Task InitializeAsync() => node.EnsureDaemonActiveAsync();

    public Task DisposeAsync() => node.EndJobsAsync();

    [Fact]
    public async Task The_daemon_is_an_active_notify_unit_with_its_hardening_and_chose_the_systemd_backend_itself()
    {
        Assert.Equal("active", await node.ShowAsync(Daemon, "ActiveState"));
        Assert.Equal("running", await node.ShowAsync(Daemon, "SubState"));
        Assert.Equal("notify", await node.ShowAsync(Daemon, "Type"));
        Assert.Equal($"{SystemdDaemonFixture.WatchdogSeconds}s", await node.ShowAsync(Daemon, "WatchdogUSec"));
        Assert.Equal("strict", await node.ShowAsync(Daemon, "ProtectSystem")); // the shipped hardening is in force
        Assert.Equal("yes", await node.ShowAsync(Daemon, "NoNewPrivileges"));

        var ready = await JournalQuery.EntriesAsync(node.Sandbox, $"_SYSTEMD_UNIT={Daemon}", "SYSLOG_IDENTIFIER=datacrumbsd");
        Assert.Contains(ready, e => e.GetValueOrDefault("DATACRUMBS_BACKEND") == "systemd");
    }

    [Fact]
    public async Task A_prolog_and_epilog_through_datacrumbsctl_run_the_tracer_as_its_unit_and_leave_nothing()
    {
        var job = node.NewJob();
        var unit = JobNames.Unit(job);

        var start = await node.CtlAsync("wrapper", "start", job.ToString(), "dcalice", SystemdDaemonFixture.ProbeFile);

        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        Assert.Contains($"datacrumbs: {job}: ready:", start.Stdout);
        Assert.Equal("active", await node.ShowAsync(unit, "ActiveState"));
        Assert.NotEqual("0", await node.ShowAsync(unit, "MainPID"));
        Assert.True(File.Exists(node.HostFile(JobNames.ReadyFile(job))), "the tracer's ready file exists when the prolog answers ready");
        Assert.Contains($"DATACRUMBS_JOB_ID=\"{job}\"", await File.ReadAllTextAsync(node.HostFile(JobNames.EnvFile(job))));
        Assert.Contains(await node.TracerUnitsAsync(), line => line.StartsWith(unit + " ") && line.Contains(" active running "));
        var status = await node.CtlAsync("status", "--json");
        Assert.Contains($"\"unit\":\"{unit}\"", status.Stdout);

        var stop = await node.CtlAsync("wrapper", "stop", job.ToString(), SystemdDaemonFixture.ProbeFile);

        Assert.True(stop.ExitCode == 0, stop.Stdout + stop.Stderr);
        Assert.Contains($"datacrumbs: {job}: stopped:", stop.Stdout);
        Assert.Equal("inactive", await node.ShowAsync(unit, "ActiveState"));
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task One_journal_query_by_job_id_returns_the_daemons_entries_with_their_fields_and_the_tracers_output()
    {
        var good = node.NewJob();
        var bad = node.NewJob();
        await node.TracerBehaves(bad, "STANDIN_MODE=fail STANDIN_DELAY_MS=200 STANDIN_EXIT_CODE=5");
        using var stopped = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow.AddSeconds(-1), $"DATACRUMBS_JOB_ID={good}", "SYSLOG_IDENTIFIER=datacrumbsd");
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(good)).Outcome);
        Assert.Equal(Outcome.Failed, (await node.PrologAsync(bad)).Outcome);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(good)).Outcome);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(bad)).Outcome);
        // The daemon logs asynchronously: await the last entry of the job before reading them all.
        var last = Assert.Single(await stopped.AwaitAsync(e => e["MESSAGE"].Contains("tracing stopped"), 1, Patience, "the stop entry"));
        Assert.Equal("Done", last["DATACRUMBS_STATE"]);

        var entries = await JournalQuery.EntriesAsync(node.Sandbox, $"DATACRUMBS_JOB_ID={good}");
        var daemon = entries.Where(e => e.GetValueOrDefault("SYSLOG_IDENTIFIER") == "datacrumbsd").ToList();
        var ready = Assert.Single(daemon, e => e.ContainsKey("DATACRUMBS_READY_MS"));
        Assert.Equal(Daemon, ready["_SYSTEMD_UNIT"]);
        Assert.Equal("6", ready["PRIORITY"]);
        Assert.Equal(JobNames.Unit(good), ready["DATACRUMBS_UNIT"]);
        Assert.Contains(good.ToString(), ready["MESSAGE"]);
        Assert.Equal("Ready", ready["DATACRUMBS_STATE"]);
        Assert.All(daemon, e => Assert.Equal("dcalice", e.GetValueOrDefault("DATACRUMBS_USER", "dcalice")));
        Assert.All(daemon.Where(e => e.ContainsKey("DATACRUMBS_STATE")), e => Assert.True(e.ContainsKey("DATACRUMBS_USER")));
        // The tracer's own output carries the same field (LogExtraFields= in datacrumbs@.service).
        Assert.Contains(entries, e => e.GetValueOrDefault("_SYSTEMD_UNIT") == JobNames.Unit(good) && e["MESSAGE"].Contains("ready=yes"));

        var failed = Assert.Single(await JournalQuery.EntriesAsync(node.Sandbox, $"DATACRUMBS_JOB_ID={bad}", "SYSLOG_IDENTIFIER=datacrumbsd", "PRIORITY=3"),
            e => e.ContainsKey("DATACRUMBS_FAILED_STATE"));
        Assert.Equal("AwaitingReady", failed["DATACRUMBS_FAILED_STATE"]);
        Assert.Contains("status 5", failed["DATACRUMBS_CAUSE"]);
        Assert.Equal(JobNames.Unit(bad), failed["DATACRUMBS_UNIT"]);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_probe_file_the_jobs_user_cannot_read_is_refused_although_the_root_daemon_could_read_it()
    {
        var job = node.NewJob();

        var reply = await node.PrologAsync(job, SystemdDaemonFixture.RootOnlyProbeFile);

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.Resolving, reply.State);
        Assert.Contains("dcalice", reply.Message);
        Assert.Contains("cannot read it", reply.Message);
        Assert.Equal("inactive", await node.ShowAsync(JobNames.Unit(job), "ActiveState"));
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(job)).Outcome);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_probe_file_in_the_nodes_tmp_is_read_where_the_jobs_user_put_it()
    {
        // Single-node Flux instances (workstations, CI) name probe files in /tmp. The daemon must
        // see the node's /tmp, not a private one (PrivateTmp=), or it reports an existing file missing.
        const string inTmp = "/tmp/dcalice-probes.json.gz";
        (await node.Sandbox.ExecAsync("install", "-o", "dcalice", "-g", "dcalice", "-m", "0600", SystemdDaemonFixture.ProbeFile, inTmp))
            .EnsureSuccess("install probes into /tmp");
        var job = node.NewJob();

        var reply = await node.PrologAsync(job, inTmp);

        Assert.True(reply.Outcome == Outcome.Ready, reply.Message);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(job)).Outcome);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_tracer_unit_that_cannot_start_fails_the_prolog_in_StartingUnit_and_leaves_no_failed_unit()
    {
        var job = node.NewJob();
        await node.InstanceDropInAsync(job, "ExecStart=\nExecStart=/nonexistent/datacrumbs-tracer ${DATACRUMBS_PROBE_FILE} ${DATACRUMBS_RUN_ID}");

        var reply = await node.PrologAsync(job);

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.StartingUnit, reply.State);
        Assert.Contains($"{JobNames.Unit(job)} did not start", reply.Message);
        Assert.Equal(FailurePolicy.Continue, reply.Policy);
        Assert.Equal("inactive", await node.ShowAsync(JobNames.Unit(job), "ActiveState")); // reset, not left "failed"
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(job)).Outcome);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_tracer_that_exits_before_ready_fails_the_prolog_at_once_with_its_exit_status()
    {
        var job = node.NewJob();
        await node.TracerBehaves(job, "STANDIN_MODE=fail STANDIN_DELAY_MS=200 STANDIN_EXIT_CODE=3");

        var reply = await node.PrologAsync(job);

        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.AwaitingReady, reply.State);
        // Under systemd the cause names the unit, where the sysadmin looks next.
        Assert.Contains($"the tracer ended before it was ready: {JobNames.Unit(job)} failed", reply.Message);
        Assert.Contains("status 3", reply.Message);
        Assert.DoesNotContain("timed out", reply.Message); // not the ready timeout: the unit's exit
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(job)).Outcome);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_tracer_that_ignores_SIGTERM_is_killed_by_systemd_after_the_units_stop_timeout()
    {
        var job = node.NewJob();
        var unit = JobNames.Unit(job);
        await node.InstanceDropInAsync(job, "TimeoutStopSec=2s");
        await node.TracerBehaves(job, "STANDIN_MODE=ignore-term");
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(job)).Outcome);
        var tracer = await node.ShowAsync(unit, "MainPID");

        var watch = Stopwatch.StartNew();
        var reply = await node.EpilogAsync(job);
        watch.Stop();

        Assert.Equal(Outcome.Stopped, reply.Outcome);
        Assert.Empty(await StillRunningAsync([tracer]));
        Assert.NotEmpty(await JournalQuery.EntriesAsync(node.Sandbox, $"UNIT={unit}", "UNIT_RESULT=timeout")); // systemd had to SIGKILL it
        await node.AssertNothingLeftAsync();
        Console.WriteLine($"[timing] systemd daemon: epilog of a SIGTERM-ignoring tracer with TimeoutStopSec=2s took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Fifty_concurrent_jobs_each_get_a_running_unit_and_their_epilogs_leave_nothing()
    {
        var jobs = Enumerable.Range(0, 50).Select(_ => node.NewJob()).ToArray();

        var watch = Stopwatch.StartNew();
        var prologs = await Task.WhenAll(jobs.Select(node.PrologAsync));
        var ready = watch.ElapsedMilliseconds;

        Assert.All(prologs, r => Assert.Equal(Outcome.Ready, r.Outcome));
        var running = await node.TracerUnitsAsync();
        Assert.All(jobs, j => Assert.Contains(running, line => line.StartsWith(JobNames.Unit(j) + " ") && line.Contains(" active running ")));

        watch.Restart();
        var epilogs = await Task.WhenAll(jobs.Select(node.EpilogAsync));
        var stopped = watch.ElapsedMilliseconds;

        Assert.All(epilogs, r => Assert.Equal(Outcome.Stopped, r.Outcome));
        await node.AssertNothingLeftAsync();
        Console.WriteLine($"[timing] systemd daemon: 50 concurrent prologs all ready in {ready} ms, 50 epilogs all stopped in {stopped} ms");
    }

    [Fact]
    public async Task A_daemon_SIGKILLed_with_20_ready_jobs_is_restarted_by_systemd_adopts_them_and_their_epilogs_stop_every_unit()
    {
        var jobs = Enumerable.Range(0, 20).Select(_ => node.NewJob()).ToArray();
        var watch = Stopwatch.StartNew();
        Assert.All(await Task.WhenAll(jobs.Select(node.PrologAsync)), r => Assert.Equal(Outcome.Ready, r.Outcome));
        var ready = watch.ElapsedMilliseconds;
        var tracers = await TracerPidsAsync(jobs);
        var daemonBefore = await node.ShowAsync(Daemon, "MainPID");

        var since = DateTimeOffset.UtcNow;
        watch.Restart();
        using (var journal = JournalFollower.Start(node.Sandbox, since, "_PID=1", $"UNIT={Daemon}", "JOB_TYPE=start", "JOB_RESULT=done"))
        {
            (await node.Sandbox.ExecAsync("systemctl", "kill", "--signal=KILL", Daemon)).EnsureSuccess("systemctl kill");
            node.IntendedRestarts++;
            // Restart=on-failure, not the spec, brings it back: await systemd's "Started" for it.
            await journal.AwaitAsync(_ => true, 1, Patience, $"{Daemon} started again after SIGKILL");
        }

        var restarted = watch.ElapsedMilliseconds;
        Assert.NotEqual(daemonBefore, await node.ShowAsync(Daemon, "MainPID"));
        Assert.Equal(tracers, await TracerPidsAsync(jobs)); // the tracers ran on untouched
        var status = await ControlClient.SendAsync(node.Socket, new ControlRequest { Op = Operation.Status }, Patience);
        Assert.All(jobs, j => Assert.Contains(status.Jobs!, s => s.Job == j.ToString() && s.State == LifecycleState.Ready && s.User == "dcalice"));

        watch.Restart();
        Assert.All(await Task.WhenAll(jobs.Select(node.EpilogAsync)), r => Assert.Equal(Outcome.Stopped, r.Outcome));
        var stopped = watch.ElapsedMilliseconds;

        Assert.Empty(await StillRunningAsync(tracers.Values));
        await node.AssertNothingLeftAsync();
        Console.WriteLine($"[timing] systemd daemon: 20 prologs ready in {ready} ms; SIGKILL to restarted and ready (RestartSec=2s) {restarted} ms; 20 adopted epilogs {stopped} ms");
    }

    [Fact]
    public async Task Stopping_the_daemon_ends_it_cleanly_and_the_next_daemon_adopts_running_tracers_and_cleans_up_after_dead_ones()
    {
        var (running, crashed) = (node.NewJob(), node.NewJob());
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(running)).Outcome);
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(crashed)).Outcome);
        var tracer = await TracerPidsAsync([running]);

        var watch = Stopwatch.StartNew();
        (await node.Sandbox.ExecAsync(Patience, "systemctl", "stop", Daemon)).EnsureSuccess("systemctl stop datacrumbsd");
        var stop = watch.ElapsedMilliseconds;

        Assert.Equal("inactive", await node.ShowAsync(Daemon, "ActiveState"));
        Assert.Equal("success", await node.ShowAsync(Daemon, "Result"));
        Assert.Equal("0", await node.ShowAsync(Daemon, "ExecMainStatus"));
        Assert.Equal(tracer, await TracerPidsAsync([running])); // KillMode=process: the job's tracer is not the daemon's

        // While no daemon watches, one tracer dies: its unit is left "failed" and its files stay behind.
        (await node.Sandbox.ExecAsync("systemctl", "kill", "--signal=KILL", JobNames.Unit(crashed))).EnsureSuccess("systemctl kill tracer");
        (await node.Sandbox.ExecAsync("systemctl", "stop", JobNames.Unit(crashed))).EnsureSuccess("systemctl stop tracer"); // returns once it is down
        Assert.Equal("failed", await node.ShowAsync(JobNames.Unit(crashed), "ActiveState"));

        watch.Restart();
        await node.EnsureDaemonActiveAsync();
        var start = watch.ElapsedMilliseconds;

        // The dead tracer's files are cleaned up on the daemon's own initiative (after READY=1, so await it).
        await FileEvents.WaitAsync(node.HostFile(JobNames.EnvFile(crashed)), exists: false, Patience);
        Assert.Equal("inactive", await node.ShowAsync(JobNames.Unit(crashed), "ActiveState")); // and its failed unit is reset
        var status = await ControlClient.SendAsync(node.Socket, new ControlRequest { Op = Operation.Status }, Patience);
        Assert.Contains(status.Jobs!, s => s.Job == running.ToString() && s.State == LifecycleState.Ready && s.User == "dcalice");

        // The adopted tracer is followed: its death during the job is logged and shown at once, not found at the epilog.
        using (var ended = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow.AddSeconds(-1), $"DATACRUMBS_JOB_ID={running}", "SYSLOG_IDENTIFIER=datacrumbsd"))
        {
            (await node.Sandbox.ExecAsync("systemctl", "kill", "--signal=KILL", JobNames.Unit(running))).EnsureSuccess("systemctl kill adopted tracer");
            await ended.AwaitAsync(e => e.GetValueOrDefault("MESSAGE", "").Contains("the tracer ended after it was ready", StringComparison.Ordinal), 1, Patience,
                $"the daemon's word that {JobNames.Unit(running)} ended");
        }
        status = await ControlClient.SendAsync(node.Socket, new ControlRequest { Op = Operation.Status }, Patience);
        Assert.Contains(JobNames.Unit(running), status.Jobs!.Single(s => s.Job == running.ToString()).LastError);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(running)).Outcome);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(crashed)).Outcome);
        Assert.Empty(await StillRunningAsync(tracer.Values));
        await node.AssertNothingLeftAsync();
        Console.WriteLine($"[timing] systemd daemon: systemctl stop datacrumbsd {stop} ms, systemctl start (to READY=1, adopting 1 job) {start} ms");
    }

    [Fact]
    public async Task The_watchdog_is_fed_so_a_healthy_daemon_is_never_restarted()
    {
        var daemon = await node.ShowAsync(Daemon, "MainPID");
        var since = DateTimeOffset.UtcNow;
        using var journal = JournalFollower.Start(node.Sandbox, since, "_PID=1", $"UNIT={Daemon}");
        // systemd reports each notification only at debug level.
        (await node.Sandbox.ExecAsync("systemctl", "log-level", "debug")).EnsureSuccess("systemctl log-level debug");
        try
        {
            await journal.AwaitAsync(e => e.GetValueOrDefault("MESSAGE", "").Contains($"from PID {daemon} (WATCHDOG=1)"), 3, Patience,
                $"three WATCHDOG=1 notifications from datacrumbsd (PID {daemon})");
        }
        finally
        {
            await node.Sandbox.ExecAsync("systemctl", "log-level", "info");
        }

        Assert.Equal(daemon, await node.ShowAsync(Daemon, "MainPID"));
        Assert.Equal("active", await node.ShowAsync(Daemon, "ActiveState"));
        // Counts every spec of the class that ran before this one: none may have tripped the watchdog.
        Assert.Equal(node.IntendedRestarts.ToString(), await node.ShowAsync(Daemon, "NRestarts"));
    }

    /// <summary>Each job's tracer MainPID, by unit, as systemd sees it (one systemctl call).</summary>
    private async Task<Dictionary<string, string>> TracerPidsAsync(IReadOnlyCollection<JobId> jobs)
    {
        var shown = (await node.Sandbox.ExecAsync(["systemctl", "show", "--property=Id,MainPID", .. jobs.Select(JobNames.Unit)]))
            .EnsureSuccess("systemctl show");
        var pids = shown.Stdout.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]))
            .ToDictionary(p => p["Id"], p => p["MainPID"]);
        Assert.Equal(jobs.Count, pids.Count);
        Assert.All(pids.Values, pid => Assert.NotEqual("0", pid));
        return pids;
    }

    /// <summary>Which of <paramref name="pids"/> still run in the sandbox (one ps call).</summary>
    private async Task<string[]> StillRunningAsync(IEnumerable<string> pids) =>
        (await node.Sandbox.ExecAsync("ps", "-o", "pid=", "-p", string.Join(',', pids))).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
