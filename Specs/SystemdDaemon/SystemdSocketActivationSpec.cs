using System.Diagnostics;
using System.Net.Sockets;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// Socket activation under the real (sandboxed) systemd with the shipped units: systemd listens
/// on both of the daemon's sockets (datacrumbsd.socket, datacrumbsd-hooks.socket) and hands them
/// to every datacrumbsd it starts. A prolog or epilog sent while the daemon is dead waits in the
/// socket's queue and is answered by the daemon systemd restarts, without the client's retry.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdSocketActivationSpec(SystemdSocketActivationSpec.Node node, ITestOutputHelper output)
    : IClassFixture<SystemdSocketActivationSpec.Node>, IAsyncLifetime
{
    /// <summary>
    /// The systemd node with a gate before each daemon start: while <see cref="Gate"/> is a FIFO,
    /// systemd's restart waits in ExecStartPre until the spec opens it, so the spec knows the
    /// daemon is dead while its requests queue, whatever the machine's load.
    /// </summary>
    public sealed class Node : SystemdDaemonFixture
    {
        public const string Gate = "/run/datacrumbs-spec/start-gate";
        protected override string ExtraDaemonSettings => $"ExecStartPre=/bin/sh -c 'test ! -p {Gate} || cat {Gate} >/dev/null'";
    }

    private static readonly TimeSpan Patience = SystemdDaemonFixture.Patience;
    private const string Daemon = SystemdDaemonFixture.Daemon;
    private readonly List<JobId> _jobs = [];

    public Task InitializeAsync() => node.EnsureDaemonActiveAsync();

    public async Task DisposeAsync()
    {
        File.Delete(node.Sandbox.HostPath(Node.Gate)); // a failed spec must not hold the next start
        await node.EndJobsAsync(_jobs);
    }

    [Fact]
    public async Task Systemd_holds_both_sockets_with_the_daemons_owners_and_modes_and_the_daemon_serves_them()
    {
        foreach (var unit in new[] { SystemdDaemonFixture.PublicSocketUnit, SystemdDaemonFixture.HooksSocketUnit })
            Assert.Equal("active", await node.ShowAsync(unit, "ActiveState"));
        Assert.Equal("0660 root flux", await StatAsync("/run/datacrumbs/hooks.sock"));
        Assert.Equal("0666 root root", await StatAsync("/run/datacrumbs/datacrumbsd.sock"));

        foreach (var socket in new[] { node.HookSocket, node.Socket })
            Assert.Equal(ReplyStatus.Ok, (await ControlClient.SendAsync(socket, new ControlRequest { Op = Operation.Status }, Patience)).Status);
        var journal = (await node.DaemonJournalAsync()).Split('\n');
        Assert.Contains(journal, l => l.Contains("listening on") && l.Contains("/run/datacrumbs/hooks.sock") && l.Contains("mode 660, from systemd"));
        Assert.Contains(journal, l => l.Contains("listening on") && l.Contains("/run/datacrumbs/datacrumbsd.sock") && l.Contains("mode 666, from systemd"));
    }

    [Fact]
    public async Task Prologs_and_epilogs_sent_while_the_daemon_is_dead_are_answered_by_the_restarted_daemon_without_a_retry()
    {
        const int Each = 12;
        var running = Enumerable.Range(0, Each).Select(_ => node.NewJob()).ToList();
        var starting = Enumerable.Range(0, Each).Select(_ => node.NewJob()).ToList();
        var raw = Enumerable.Range(0, Each).Select(_ => node.NewJob()).ToList();
        _jobs.AddRange([.. running, .. starting, .. raw]);
        foreach (var reply in await Task.WhenAll(running.Select(j => node.PrologAsync(j))))
            Assert.Equal(Outcome.Ready, reply.Outcome);

        var gate = node.Sandbox.HostPath(Node.Gate);
        (await Run.CommandAsync("mkfifo", gate)).EnsureSuccess("mkfifo");
        using (var died = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, "_PID=1", $"UNIT={Daemon}"))
        {
            (await node.Sandbox.ExecAsync("systemctl", "kill", "--kill-whom=main", "--signal=KILL", Daemon)).EnsureSuccess("systemctl kill");
            node.IntendedRestarts++;
            await died.AwaitAsync(e => e.GetValueOrDefault("MESSAGE", "").Contains("Main process exited"), 1, Patience, "the daemon's death");
        }
        var killed = Stopwatch.StartNew();

        // What the Flux hooks run, on the hooks' socket, without the client's retry: a connect
        // while no daemon runs must be queued, not refused. (The clients start as the machine
        // allows: those that connect after the restart prove only that nothing needed a retry.)
        var ctl = running.Select(j => TimedCtlAsync("epilog", "--job", j.ToString()))
            .Concat(starting.Select(j => TimedCtlAsync("wrapper", "start", j.ToString(), "dcalice", SystemdDaemonFixture.ProbeFile)))
            .ToList();
        // The same through sockets of the spec's own, each connected while the daemon is surely
        // dead: these prove the queueing whatever the load.
        var connected = new List<Socket>();
        foreach (var job in raw)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            connected.Add(socket);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(node.HookSocket)).WaitAsync(Patience);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await Frames.WriteAsync(stream, WrapperRequests.Start(job, node.AliceUid, SystemdDaemonFixture.ProbeFile), WireJson.Default.ControlRequest, CancellationToken.None);
        }
        var replies = connected.Select(ReplyAsync).ToList();
        async Task<(ControlReply? Reply, TimeSpan AfterDeath)> ReplyAsync(Socket socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var reply = await Frames.ReadAsync(stream, WireJson.Default.ControlReply, Frames.DefaultMaxReplyBytes, CancellationToken.None).WaitAsync(Patience);
            return (reply, killed.Elapsed);
        }
        Assert.Equal("0", await node.ShowAsync(Daemon, "MainPID")); // still no daemon: the gate holds its restart

        await OpenGateAsync(gate);
        var answers = await Task.WhenAll(ctl);
        foreach (var (run, _) in answers)
        {
            if (run.ExitCode != 0) Assert.Fail(run.Stdout + run.Stderr + "\n" + (await node.Sandbox.ExecAsync("journalctl", "--no-pager", "-n", "150", "-o", "short-monotonic")).Stdout);
            Assert.Matches(@"^datacrumbs: f\w+: (stopped|ready):", run.Stdout);
            Assert.DoesNotContain("tried", run.Stderr);
        }
        var queued = await Task.WhenAll(replies);
        Assert.All(queued, q => Assert.Equal(Outcome.Ready, q.Reply?.Outcome));
        var startup = TimeSpan.FromMicroseconds(long.Parse(await node.ShowAsync(Daemon, "ActiveEnterTimestampMonotonic")) -
                                                long.Parse(await node.ShowAsync(Daemon, "ExecMainStartTimestampMonotonic")));
        output.WriteLine($"{raw.Count} prologs queued while the daemon was dead: answered ready {queued.Min(q => q.AfterDeath.TotalSeconds):0.00} to " +
                         $"{queued.Max(q => q.AfterDeath.TotalSeconds):0.00} s after its death (RestartSec=2s, the daemon's exec to READY=1 {startup.TotalSeconds:0.00} s, the tracers' start); " +
                         $"{ctl.Count} datacrumbsctl calls (JIT-compiled here, so some start after the restart) answered {answers.Min(a => a.Took.TotalSeconds):0.00} " +
                         $"to {answers.Max(a => a.Took.TotalSeconds):0.00} s after they were started");

        foreach (var reply in await Task.WhenAll(running.Concat(starting).Concat(raw).Select(node.EpilogAsync)))
            Assert.Equal(Outcome.Stopped, reply.Outcome);
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Stopping_the_daemon_keeps_systemds_sockets_and_the_next_connection_starts_it_again()
    {
        var inode = await StatAsync("/run/datacrumbs/hooks.sock", "%i");
        (await node.Sandbox.ExecAsync("systemctl", "stop", Daemon)).EnsureSuccess("systemctl stop");

        // The daemon's shutdown left systemd's socket file alone (the same inode, still listening).
        Assert.Equal(inode, await StatAsync("/run/datacrumbs/hooks.sock", "%i"));
        var status = await node.CtlAsync("--socket", node.HookSocket, "--retry-for", "0", "status");
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Equal("active", await node.ShowAsync(Daemon, "ActiveState"));
        await node.AssertNothingLeftAsync(); // a stop and an activation, not a restart
    }

    [Fact]
    public async Task Stopping_the_sockets_and_the_daemon_leaves_no_socket_file_and_a_stale_one_does_not_trip_the_next_start()
    {
        (await node.Sandbox.ExecAsync("systemctl", "stop", SystemdDaemonFixture.PublicSocketUnit, SystemdDaemonFixture.HooksSocketUnit, Daemon))
            .EnsureSuccess("systemctl stop");
        Assert.Equal("inactive", await node.ShowAsync(Daemon, "ActiveState"));
        Assert.False(File.Exists(node.HookSocket), "hooks.sock is left after its socket unit stopped");
        Assert.False(File.Exists(node.Socket), "datacrumbsd.sock is left after its socket unit stopped");
        var down = await node.CtlAsync("--socket", node.HookSocket, "--retry-for", "0", "status");
        Assert.Equal(3, down.ExitCode);
        Assert.Contains("no such socket", down.Stderr);

        // A socket file nobody listens on, as a daemon started by hand and killed leaves behind.
        // (Not a .NET socket: disposing one removes the file it bound.)
        (await Run.CommandAsync("python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", node.HookSocket)).EnsureSuccess("bind a stale socket");
        Assert.True(File.Exists(node.HookSocket));

        await node.EnsureDaemonActiveAsync(); // Requires= brings both sockets up first
        foreach (var unit in new[] { SystemdDaemonFixture.PublicSocketUnit, SystemdDaemonFixture.HooksSocketUnit })
            Assert.Equal("active", await node.ShowAsync(unit, "ActiveState"));
        foreach (var socket in new[] { node.HookSocket, node.Socket })
            Assert.Equal(ReplyStatus.Ok, (await ControlClient.SendAsync(socket, new ControlRequest { Op = Operation.Status }, Patience)).Status);
        Assert.Equal("0660 root flux", await StatAsync("/run/datacrumbs/hooks.sock"));
        await node.AssertNothingLeftAsync();
    }

    private async Task<(Run.Result Run, TimeSpan Took)> TimedCtlAsync(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var run = await node.CtlAsync(["--socket", node.HookSocket, "--retry-for", "0", .. args]);
        return (run, clock.Elapsed);
    }

    /// <summary>Lets systemd's restart go on: opening the FIFO for writing waits until ExecStartPre reads it.</summary>
    private static async Task OpenGateAsync(string gate)
    {
        await Task.Run(() => { using var _ = new FileStream(gate, FileMode.Open, FileAccess.Write); }).WaitAsync(Patience);
        File.Delete(gate);
    }

    private async Task<string> StatAsync(string path, string format = "%#a %U %G") =>
        (await node.Sandbox.ExecAsync("stat", "-c", format, path)).EnsureSuccess($"stat {path}").Stdout.Trim();
}
