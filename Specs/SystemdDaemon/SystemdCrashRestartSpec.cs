using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Reliability;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.SystemdDaemon;

/// <summary>
/// <see cref="CrashRounds"/> under the real systemd: datacrumbsd runs as datacrumbsd.service with
/// the shipped units, each job's tracer as its datacrumbs@ unit. A crash is a SIGKILL of the
/// daemon's main process through systemd, and systemd's own Restart=on-failure brings it back
/// (the shipped RestartSec=2s). Besides what the rounds check, no datacrumbs@ unit is loaded, the
/// run dir is empty and systemd restarted the daemon only for these kills. A spec that fails
/// between a kill and the restart leaves the next one a serving daemon and none of its jobs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdCrashRestartSpec(SystemdCrashRestartSpec.Node node, ITestOutputHelper output)
    : IClassFixture<SystemdCrashRestartSpec.Node>, ICrashNode, IAsyncLifetime
{
    /// <summary>The systemd node with a Ready timeout of 3 s: a quarter of the jobs have tracers that never get ready.</summary>
    public sealed class Node() : SystemdDaemonFixture(readySeconds: 3);

    private static readonly TimeSpan Patience = SystemdDaemonFixture.Patience;
    private const string Daemon = SystemdDaemonFixture.Daemon;
    private JournalFollower? _restarted;
    private readonly List<TimeSpan> _startups = [];
    private CrashRounds? _rounds;

    public Task InitializeAsync() => node.EnsureDaemonActiveAsync();

    /// <summary>After a failure the daemon may be dead (killed, not yet restarted) and jobs may run: end them all.</summary>
    public async Task DisposeAsync()
    {
        _restarted?.Dispose();
        _restarted = null;
        await node.EndJobsAsync(_rounds?.Jobs);
    }

    [Fact]
    public async Task Jobs_survive_twenty_random_SIGKILLs_of_the_daemon_unit_and_every_epilog_leaves_nothing()
    {
        await TracersAreFoundFromTheHostAsync();

        _rounds = new CrashRounds(this, output);
        await _rounds.RunAsync();
        output.WriteLine($"daemon exec to READY=1 after each kill: mean {_startups.Average(t => t.TotalSeconds):0.00} s, " +
                         $"max {_startups.Max(t => t.TotalSeconds):0.00} s (RestartSec=2s before each)");

        await node.AssertNothingLeftAsync();
        await ReportStopRacesAsync();
    }

    /// <summary>How often an epilog overtook its prolog's start here (SystemdUnitBackend's own log lines): a figure, not a check.</summary>
    private async Task ReportStopRacesAsync()
    {
        var journal = (await node.Sandbox.ExecAsync("journalctl", "--no-pager", "--output=cat", "-u", Daemon)).Stdout;
        int Count(string words) => journal.Split('\n').Count(l => l.Contains(words));
        output.WriteLine($"starts cancelled or superseded by their stop before they reached systemd: {Count("Not starting datacrumbs@")}; " +
                         $"units stopped again after their stop job: {Count("Something started it again")}");
    }

    [Fact]
    public async Task A_prolog_and_an_epilog_sent_while_systemd_restarts_the_crashed_daemon_are_answered_by_the_restarted_daemon()
    {
        var (running, starting) = (node.NewJob(), node.NewJob());
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(running)).Outcome);
        ICrashNode crash = this;
        await crash.KillAsync(); // dead now; systemd starts it again after RestartSec=2s

        // What the Flux hooks run, while no daemon listens on the socket the dead one left behind.
        var stop = node.CtlAsync("epilog", "--job", running.ToString());
        var start = node.CtlAsync("wrapper", "start", starting.ToString(), "dcalice", SystemdDaemonFixture.ProbeFile);
        await crash.RestartAsync();
        var (stopped, started) = (await stop, await start);

        Assert.True(stopped.ExitCode == 0 && stopped.Stdout.Contains($"datacrumbs: {running}: stopped:"), stopped.Stdout + stopped.Stderr);
        Assert.True(started.ExitCode == 0 && started.Stdout.Contains($"datacrumbs: {starting}: ready:"), started.Stdout + started.Stderr);
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(starting)).Outcome);
        Assert.Empty(TracerProcesses());
        await node.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_spec_that_fails_between_a_kill_and_the_restart_leaves_the_next_one_a_serving_daemon_and_none_of_its_jobs()
    {
        var job = node.NewJob();
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(job)).Outcome);
        await ((ICrashNode)this).KillAsync(); // and the spec "fails" here, before awaiting the restart

        // What xunit runs after that spec and before the next one.
        await DisposeAsync();
        await InitializeAsync();

        Assert.Equal("active", await node.ShowAsync(Daemon, "ActiveState"));
        var status = await ControlClient.SendAsync(node.Socket, new ControlRequest { Op = Operation.Status }, Patience);
        Assert.Empty(status.Jobs!);
        Assert.Empty(TracerProcesses());
        await node.AssertNothingLeftAsync(); // NRestarts: systemd restarted it itself, not the fixture's start
    }

    /// <summary>The final "no tracer process left" means something only if a running tracer is found: prove it once.</summary>
    private async Task TracersAreFoundFromTheHostAsync()
    {
        var job = node.NewJob();
        Assert.Equal(Outcome.Ready, (await node.PrologAsync(job)).Outcome);
        var found = TracerProcesses().Select(Reliability.TracerProcesses.Describe).ToList();
        Assert.True(found.Any(d => d.Contains($"datacrumbs-tracer ") && d.Contains($"DATACRUMBS_JOB_ID={job};")),
            $"the tracer of {job} is not found from the host:\n{string.Join('\n', found)}");
        Assert.Equal(Outcome.Stopped, (await node.EpilogAsync(job)).Outcome);
        Assert.Empty(TracerProcesses());
    }

    ControlRequest ICrashNode.Prolog(JobId job) => WrapperRequests.Start(job, node.AliceUid, SystemdDaemonFixture.ProbeFile);

    Task<ControlReply> ICrashNode.SendAsync(ControlRequest request) => ControlClient.SendAsync(node.Socket, request, Patience);

    Task ICrashNode.TracerBehavesAsync(JobId job, string words) => node.TracerBehaves(job, words);

    /// <summary>A crash kills the daemon's main process only (not, say, a probe reader it started): --kill-whom=main.</summary>
    async Task ICrashNode.KillAsync()
    {
        _restarted = JournalFollower.Start(node.Sandbox, DateTimeOffset.UtcNow, "_PID=1", $"UNIT={Daemon}", "JOB_TYPE=start", "JOB_RESULT=done");
        (await node.Sandbox.ExecAsync("systemctl", "kill", "--kill-whom=main", "--signal=KILL", Daemon)).EnsureSuccess("systemctl kill");
        node.IntendedRestarts++;
    }

    /// <summary>Restart=on-failure, not the spec, brings the daemon back: awaits systemd's "Started" (READY=1, socket listening).</summary>
    async Task ICrashNode.RestartAsync()
    {
        using var restarted = _restarted ?? throw new InvalidOperationException("RestartAsync without KillAsync");
        _restarted = null;
        await restarted.AwaitAsync(_ => true, 1, Patience, $"{Daemon} started again after SIGKILL");
        _startups.Add(await StartupAsync());
    }

    /// <summary>From the daemon's exec to its READY=1, as systemd timed it (the rest of a restart is RestartSec).</summary>
    private async Task<TimeSpan> StartupAsync()
    {
        var exec = long.Parse(await node.ShowAsync(Daemon, "ExecMainStartTimestampMonotonic"));
        var ready = long.Parse(await node.ShowAsync(Daemon, "ActiveEnterTimestampMonotonic"));
        return TimeSpan.FromMicroseconds(ready - exec);
    }

    IReadOnlyList<int> ICrashNode.TracerProcesses() => TracerProcesses();

    private IReadOnlyList<int> TracerProcesses() =>
        Reliability.TracerProcesses.Of(SystemdDaemonFixture.ControlDir, inPidNamespaceOf: int.Parse(node.Sandbox.Pid));
}
