using Datacrumbs.Daemon.Systemd;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.SystemdDaemon;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Specs.Systemd;

/// <summary>
/// A stop and a start of the same unit racing, on a real sandboxed systemd. Under load an epilog
/// overtook its prolog's start: the start reached systemd after the stop, so the stop job
/// completed and the tracer ran on ("did not stop: the job completed, the unit is active",
/// SystemdCrashRestartSpec, seed 676777). The races are made to happen here, not hoped for.
/// </summary>
public sealed class SystemdStopRaceSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TracerUnits _units = new(sandbox);
    private readonly RecordingLogger<SystemdUnitBackend> _log = new();
    private SystemdUnitBackend _backend = null!;

    public async Task InitializeAsync()
    {
        await _units.InstallAsync();
        _backend = new SystemdUnitBackend(sandbox.BusAddress, _log);
    }

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private static CancellationToken Deadline() => new CancellationTokenSource(Patience).Token;

    [Fact]
    public async Task A_start_that_a_stop_overtakes_before_it_reaches_systemd_is_never_sent()
    {
        var job = TracerUnits.NewJob();
        await _units.PrepareAsync(job);
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend.BeforeStartUnitSent = j =>
        {
            if (j != job) return Task.CompletedTask;
            paused.TrySetResult();
            return resume.Task;
        };

        // The prolog's start is on its way (past every token check), and the epilog's stop overtakes it.
        var start = _backend.StartAsync(job, Deadline());
        await paused.Task.WaitAsync(Patience);
        try
        {
            await _backend.StopAsync(job, Deadline());
        }
        finally
        {
            resume.TrySetResult();
        }

        var refused = await Assert.ThrowsAsync<SystemdBusException>(() => start.WaitAsync(Patience));
        Assert.Equal($"{JobNames.Unit(job)} was not started: it was asked to stop before its start reached systemd", refused.Message);
        Assert.Equal("inactive", await _units.ShowAsync(job, "ActiveState"));
        Assert.Equal("0", await _units.ShowAsync(job, "ExecMainStartTimestampMonotonic")); // its tracer never ran
        Assert.Equal(0, _backend.UnitsWithCallsInProgress);
    }

    [Fact]
    public async Task A_unit_started_again_while_its_stop_job_runs_is_stopped_again_and_the_log_says_why()
    {
        var job = TracerUnits.NewJob();
        var unit = JobNames.Unit(job);
        // The stop signal (SIGINT, as for the real runtime) is ignored, so the stop job runs until TimeoutStopSec: time enough to start the unit by hand meanwhile.
        await _units.AddInstanceDropInAsync(job, "TimeoutStopSec=10s");
        await _units.PrepareAsync(job, "STANDIN_MODE=ignore-term");
        var running = await _backend.StartAsync(job, Deadline());
        await FileEvents.WaitAsync(_units.ReadyFileOnHost(job), exists: true, Patience);

        using var tracerLog = JournalFollower.Start(sandbox, DateTimeOffset.UtcNow, "SYSLOG_IDENTIFIER=datacrumbs-tracer", $"DATACRUMBS_JOB_ID={job}");
        var stop = _backend.StopAsync(job, Deadline());
        await tracerLog.AwaitAsync(e => e.GetValueOrDefault("MESSAGE", "").Contains("ignoring SIGINT"), 1, Patience, $"{unit} ignoring SIGINT");
        // systemd replaces the running stop job by this start job (result "canceled"), which starts the unit once it is down.
        (await sandbox.ExecAsync("systemctl", "start", "--no-block", unit)).EnsureSuccess("systemctl start --no-block");

        await stop.WaitAsync(Patience);

        Assert.Equal("inactive", await _units.ShowAsync(job, "ActiveState"));
        Assert.Equal("", await _units.ShowAsync(job, "Job")); // no start job left queued either
        Assert.True(running.Exited.IsCompleted, "Exited completes by the time StopAsync does");
        Assert.Contains(_log.Lines, l => l.Level == LogLevel.Warning &&
            l.Message == $"{unit} is deactivating after its stop job ended: the job was canceled (another request for the unit replaced it). " +
                         "Something started it again; stopping it again (2 of 3)");
    }
}
