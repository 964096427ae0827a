using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Reliability;
using Datacrumbs.Specs.Systemd;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// The D-Bus system bus goes away under the whole daemon (datacrumbsd.service in its own sandbox),
/// with jobs in every state: restarted once mid-lifecycle, and stopped for a while. The daemon
/// must not crash or restart, must answer every request in flight clearly and in bounded time,
/// reconnect on its own, say so in the journal, and leave nothing behind.
/// </summary>
public sealed class SystemdBusRestartSpec(SystemdDaemonFixture node) : IClassFixture<SystemdDaemonFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = SystemdDaemonFixture.Patience;
    private const string Daemon = SystemdDaemonFixture.Daemon;
    /// <summary>Every message about the lost bus names it so (SystemdBus's wording).</summary>
    private const string TheBus = "D-Bus system bus";
    /// <summary>Where a tracer unit whose start must hang says that it has begun starting.</summary>
    private const string StartingDir = "/run/datacrumbs-busrestart";

    public Task InitializeAsync() => node.EnsureDaemonActiveAsync();

    public async Task DisposeAsync()
    {
        // A spec that failed with the bus down must not leave the next one without it.
        await node.Sandbox.ExecAsync(Patience, "systemctl", "start", "dbus.socket", "dbus.service");
        await node.EndJobsAsync();
    }

    [Fact]
    public async Task A_dbus_restart_mid_lifecycle_gets_every_request_a_clear_answer_and_the_daemon_reconnects_and_leaves_nothing()
    {
        var daemonPid = await node.ShowAsync(Daemon, "MainPID");
        var ready = Jobs(3);
        var stubborn = node.NewJob();  // its tracer ignores SIGTERM: the epilog's stop job is in flight at the restart
        var slow = Jobs(3);            // tracers ready only after the restart: prologs in AwaitingReady
        var starting = Jobs(2);        // units whose start job hangs in ExecStartPre: prologs in StartingUnit
        var later = Jobs(3);           // prologs after the bus is back

        await node.InstanceDropInAsync(stubborn, "TimeoutStopSec=6s");
        await node.TracerBehaves(stubborn, "STANDIN_MODE=ignore-term");
        foreach (var job in slow) await node.TracerBehaves(job, "STANDIN_DELAY_MS=4000");
        Directory.CreateDirectory(node.Sandbox.HostPath(StartingDir));
        foreach (var job in starting)
            await node.InstanceDropInAsync(job, $"ExecStartPre=/bin/sh -c 'touch {StartingDir}/%i; exec sleep infinity'");
        Assert.All(await Task.WhenAll(ready.Append(stubborn).Select(node.PrologAsync)), r => Assert.Equal(Outcome.Ready, r.Outcome));

        using var log = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, "SYSLOG_IDENTIFIER=datacrumbsd", "SYSLOG_IDENTIFIER=datacrumbs-tracer");
        using var started = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, ["_PID=1", "JOB_TYPE=start", "JOB_RESULT=done", .. slow.Select(j => $"UNIT={JobNames.Unit(j)}")]);
        var slowPrologs = slow.Select(node.PrologAsync).ToArray();
        var startingPrologs = starting.Select(node.PrologAsync).ToArray();
        await started.AwaitAsync(_ => true, slow.Length, Patience, "the slow tracers' units started");
        foreach (var job in starting) await FileEvents.WaitAsync(node.Sandbox.HostPath($"{StartingDir}/{job}"), exists: true, Patience);
        var stubbornEpilog = Timed(node.EpilogAsync(stubborn));
        await log.AwaitAsync(e => e.GetValueOrDefault("DATACRUMBS_JOB_ID") == stubborn.ToString() && e["MESSAGE"].Contains("ignoring SIGINT"), 1, Patience,
            "the stubborn tracer ignoring its SIGINT");
        Assert.DoesNotContain(slowPrologs.Concat(startingPrologs).Cast<Task>().Append(stubbornEpilog), t => t.IsCompleted); // still in flight

        var watch = Stopwatch.StartNew();
        (await node.Sandbox.ExecAsync(Patience, "systemctl", "restart", "dbus.service")).EnsureSuccess("systemctl restart dbus.service");
        var restart = watch.ElapsedMilliseconds;
        await log.AwaitAsync(IsBusLost, 1, Patience, "the daemon losing the bus");
        await log.AwaitAsync(e => e["MESSAGE"].StartsWith($"Connected to the {TheBus}"), 1, Patience, "the daemon connected again");
        var reconnected = watch.ElapsedMilliseconds;

        // Every request in flight: a clear answer, in bounded time.
        foreach (var reply in await Task.WhenAll(slowPrologs)) Assert.True(reply.Outcome == Outcome.Ready, reply.Message);
        foreach (var reply in await Task.WhenAll(startingPrologs))
        {
            Assert.Equal(Outcome.Failed, reply.Outcome);
            Assert.Equal(LifecycleState.StartingUnit, reply.State);
            Assert.Contains(TheBus, reply.Message);
            Console.WriteLine($"[bus-restart] prolog in StartingUnit answered after {reply.ElapsedMs:0} ms: {reply.Message}");
        }
        var (epilog, epilogMs) = await stubbornEpilog;
        Assert.True(epilog.Outcome == Outcome.Stopped, epilog.Message);
        var answered = watch.ElapsedMilliseconds;

        // The same daemon carries on, and its backend is on the new bus: new units start.
        var after = await Task.WhenAll(later.Select(node.PrologAsync));
        Assert.All(after, r => Assert.True(r.Outcome == Outcome.Ready, r.Message));
        var units = await node.TracerUnitsAsync();
        Assert.All(later, j => Assert.Contains(units, line => line.StartsWith(JobNames.Unit(j) + " ") && line.Contains(" active running ")));

        var epilogs = await Task.WhenAll(ready.Concat(slow).Concat(starting).Concat(later).Select(node.EpilogAsync));
        Assert.All(epilogs, r => Assert.True(r.Outcome == Outcome.Stopped, r.Message));
        Assert.Equal(daemonPid, await node.ShowAsync(Daemon, "MainPID"));
        await node.AssertNothingLeftAsync();
        Assert.Empty(TracersInSandbox());

        var warning = Assert.Single(await log.AwaitAsync(IsBusLost, 1, Patience, "the daemon losing the bus")); // once, not once per job
        Assert.Equal("4", warning["PRIORITY"]);
        // The epilog in flight said that it asked again, and that it stopped the unit once the bus was back.
        var stubbornUnit = JobNames.Unit(stubborn);
        await log.AwaitAsync(e => e["MESSAGE"].StartsWith($"Stopping {stubbornUnit}: ") && e["MESSAGE"].EndsWith("asking again once the bus is back"), 1, Patience, "the stop asked again");
        await log.AwaitAsync(e => e["MESSAGE"] == $"Stopped {stubbornUnit} once the {TheBus} was back", 1, Patience, "the stop done after the bus was back");
        Console.WriteLine($"[bus-restart] systemctl restart dbus {restart} ms; daemon reconnected {reconnected} ms after the restart began; " +
                          $"every request in flight answered after {answered} ms; the stubborn epilog took {epilogMs} ms (TimeoutStopSec=6s)");
        Console.WriteLine($"[bus-restart] the daemon logged:\n  {string.Join("\n  ", (await log.AwaitAsync(IsAboutTheBus, 4, Patience, "the bus entries")).Select(e => e["MESSAGE"]))}");
    }

    [Fact]
    public async Task With_dbus_stopped_a_prolog_fails_clearly_an_epilog_waits_for_the_bus_and_once_it_is_back_the_next_prolog_succeeds()
    {
        var daemonPid = await node.ShowAsync(Daemon, "MainPID");
        var (running, refused, next) = (node.NewJob(), node.NewJob(), node.NewJob());
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(running)).Outcome);

        using var log = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, "SYSLOG_IDENTIFIER=datacrumbsd");
        (await node.Sandbox.ExecAsync(Patience, "systemctl", "stop", "dbus.socket", "dbus.service")).EnsureSuccess("systemctl stop dbus");
        await log.AwaitAsync(IsBusLost, 1, Patience, "the daemon losing the bus");

        var watch = Stopwatch.StartNew();
        var reply = await node.PrologAsync(refused);
        var refusedMs = watch.ElapsedMilliseconds;
        Assert.Equal(Outcome.Failed, reply.Outcome);
        Assert.Equal(LifecycleState.StartingUnit, reply.State);
        Assert.Contains(TheBus, reply.Message);
        Assert.Equal("active", await node.ShowAsync(Daemon, "ActiveState"));

        // An epilog while the bus is down: its stop cannot be sent, so it waits for the bus (StopWaitsForBus).
        var epilog = Timed(node.EpilogAsync(running));
        var unit = JobNames.Unit(running);
        await log.AwaitAsync(e => e["MESSAGE"].StartsWith($"Stopping {unit}: ") && e["MESSAGE"].EndsWith("asking again once the bus is back"), 1, Patience,
            "the epilog's stop waiting for the bus");
        watch.Restart();
        (await node.Sandbox.ExecAsync(Patience, "systemctl", "start", "dbus.socket", "dbus.service")).EnsureSuccess("systemctl start dbus");
        await log.AwaitAsync(e => e["MESSAGE"].StartsWith($"Connected to the {TheBus}"), 1, Patience, "the daemon connected again");
        var reconnected = watch.ElapsedMilliseconds;
        var (stopped, epilogMs) = await epilog;
        Assert.True(stopped.Outcome == Outcome.Stopped, stopped.Message);

        var first = await node.PrologAsync(next);
        Assert.True(first.Outcome == Outcome.Ready, $"the first prolog after dbus is back: {first.Message}");
        Assert.All(await Task.WhenAll(new[] { refused, next }.Select(node.EpilogAsync)), r => Assert.True(r.Outcome == Outcome.Stopped, r.Message));
        Assert.Equal(daemonPid, await node.ShowAsync(Daemon, "MainPID"));
        await node.AssertNothingLeftAsync();
        Assert.Empty(TracersInSandbox());
        Console.WriteLine($"[bus-down] prolog with dbus stopped answered Failed after {refusedMs} ms: {reply.Message}");
        Console.WriteLine($"[bus-down] daemon reconnected {reconnected} ms after systemctl start dbus began; the epilog sent while dbus was down answered Stopped after {epilogMs} ms");
    }

    private JobId[] Jobs(int count) => Enumerable.Range(0, count).Select(_ => node.NewJob()).ToArray();

    /// <summary>The bus connection's own warning (job failures quote the same cause).</summary>
    private static bool IsBusLost(Dictionary<string, string> entry) =>
        entry.GetValueOrDefault("MESSAGE", "") is var m && m.StartsWith($"lost the connection to the {TheBus}") && m.EndsWith("; reconnecting");

    private static bool IsAboutTheBus(Dictionary<string, string> entry) => entry.GetValueOrDefault("MESSAGE", "").Contains(TheBus);

    private static async Task<(ControlReply Reply, long Ms)> Timed(Task<ControlReply> request)
    {
        var watch = Stopwatch.StartNew();
        var reply = await request;
        return (reply, watch.ElapsedMilliseconds);
    }

    /// <summary>Stand-in tracers (and their children) alive in this spec's sandbox: other sandboxes use the same control dir.</summary>
    private int[] TracersInSandbox()
    {
        var sandbox = PidNamespace(int.Parse(node.Sandbox.Pid));
        return TracerProcesses.Of(SystemdDaemonFixture.ControlDir).Where(pid => PidNamespace(pid) == sandbox).ToArray();
    }

    private static string? PidNamespace(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget; }
        catch (IOException) { return null; } // gone meanwhile
    }
}
