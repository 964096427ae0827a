using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmds.DBus.Protocol;

namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// Runs each job's tracer as <c>datacrumbs@&lt;job&gt;.service</c> through systemd's D-Bus API
/// on the system bus (no <c>systemctl</c> processes). One bus connection serves every job;
/// start and stop wait for their job's Manager.JobRemoved signal, and a started unit is followed
/// through its ActiveState signals until it is inactive or failed. Every wait honours its token
/// and fails with a clear error when the bus connection is lost; failed instances are reset so
/// none lingers.
/// </summary>
public sealed class SystemdUnitBackend : IUnitBackend, ISystemdSignals, IAsyncDisposable
{
    private const string NoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit";
    private const string UnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
    /// <summary>States of a unit that is (still) running: adopted after a daemon restart.</summary>
    private static readonly string[] RunningStates = ["active", "activating", "deactivating", "reloading"];
    /// <summary>Stop jobs one stop may take when something starts the unit again meanwhile.</summary>
    private const int StopJobsPerStop = 3;

    private readonly SystemdBackendOptions _options;
    private readonly ILogger _log;
    private readonly SystemdBus _bus;
    private readonly JobWaits _jobs = new();
    private readonly UnitCallOrder _order = new();
    private readonly ExitWatches _exits = new();
    private readonly CancellationTokenSource _disposing = new();
    /// <summary>Units whose stop gave up because the bus stayed away: stopped at the next connection.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<JobId, byte> _owedStops = new();
    /// <summary>Bound on an owed stop (the unit's own TimeoutStopSec ends it sooner).</summary>
    private static readonly TimeSpan OwedStopTimeout = TimeSpan.FromMinutes(5);

    public SystemdUnitBackend(SystemdBackendOptions? options = null, ILogger<SystemdUnitBackend>? logger = null)
    {
        _options = options ?? new SystemdBackendOptions();
        _log = (ILogger?)logger ?? NullLogger.Instance;
        var address = _options.BusAddress ?? DBusAddress.System
            ?? throw new SystemdBusException("no D-Bus system bus address: set DBUS_SYSTEM_BUS_ADDRESS");
        _bus = new SystemdBus(address, this, _log, _options.MaxReconnectBackoff);
        _bus.Start();
    }

    /// <summary>For tests and tools: a backend on the bus at <paramref name="busAddress"/>.</summary>
    public SystemdUnitBackend(string busAddress, ILogger<SystemdUnitBackend>? logger = null)
        : this(new SystemdBackendOptions { BusAddress = busAddress }, logger) { }

    public string Name => "systemd";

    /// <summary>
    /// For specs: awaited after a start is asked for and before its StartUnit is sent, so a spec
    /// can make a stop overtake it (as an epilog overtakes a prolog's start on a busy machine).
    /// </summary>
    internal Func<JobId, Task>? BeforeStartUnitSent { get; set; }

    /// <summary>For specs: units with a start or stop call in progress.</summary>
    internal int UnitsWithCallsInProgress => _order.Count;

    /// <summary>Whether the system bus connection is up now (for status and health reporting).</summary>
    public bool IsBusConnected => _bus.IsConnected;

    /// <summary>
    /// Raised with true when a bus connection is up and subscribed, false when it is lost. Called
    /// on the bus's thread: handlers must be quick and must not throw.
    /// </summary>
    public event Action<bool>? BusConnectionChanged;

    public async Task<RunningUnit> StartAsync(JobId job, CancellationToken ct)
    {
        var unit = JobNames.Unit(job);
        var path = SystemdEscape.BusPath(unit);

        // Register for JobRemoved before StartUnit: a fast job's signal can beat the reply.
        string result;
        using (var wait = _jobs.Watch(unit))
        {
            string jobPath;
            // Taken before the first await: a stop asked for from here on supersedes this start.
            using (var order = _order.Start(unit))
            {
                if (BeforeStartUnitSent is { } pause) await pause(job).ConfigureAwait(false);
                try
                {
                    jobPath = await order.SendAsync(() => CallAsync(() => _bus.StartUnitAsync(unit, ct), $"systemd refused to start {unit}"), ct)
                        .ConfigureAwait(false);
                }
                catch (SystemdBusException) when (order.Superseded)
                {
                    _log.LogInformation("Not starting {Unit}: it was asked to stop before its start reached systemd", unit);
                    throw;
                }
                catch (OperationCanceledException) when (!order.Sent)
                {
                    _log.LogInformation("Not starting {Unit}: the start was cancelled before it reached systemd", unit);
                    throw;
                }
            }
            result = await AwaitJobAsync(wait, jobPath, $"the start job of {unit}", ct).ConfigureAwait(false);
        }
        if (result != "done")
        {
            var details = await FollowUpAsync(unit, path, resetFailed: true).ConfigureAwait(false);
            throw new SystemdBusException($"{unit} did not start: {DescribeJobResult(result)}{(details is null ? "" : $" ({details})")}");
        }

        // Follow the unit from here. Signals seen before the job finished are history; reading
        // the state now catches an exit that happened between the job's end and this point.
        var exited = await FollowFromNowAsync(unit, path, ct).ConfigureAwait(false);
        _log.LogDebug("Started {Unit}", unit);
        return new RunningUnit(unit, exited);
    }

    /// <summary>An adopted unit is followed as a started one is, from its state now (an ended unit ends at once).</summary>
    public async Task<UnitExit> FollowAdoptedAsync(JobId job, CancellationToken ct)
    {
        var unit = JobNames.Unit(job);
        return await (await FollowFromNowAsync(unit, SystemdEscape.BusPath(unit), ct).ConfigureAwait(false)).WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task<Task<UnitExit>> FollowFromNowAsync(string unit, string path, CancellationToken ct)
    {
        var watch = _exits.Watch(unit, path);
        try
        {
            watch.OnState(await ReadActiveStateAsync(path, ct).ConfigureAwait(false));
        }
        catch
        {
            _exits.Remove(watch);
            throw;
        }
        var exited = FollowAsync(watch);
        watch.Followed = exited;
        return exited;
    }

    /// <summary>
    /// Stops the unit even if the bus goes away meanwhile (dbus restarted) or is away when asked:
    /// a stop that fails for want of the bus waits for the next connection, at most
    /// <see cref="SystemdBackendOptions.StopWaitsForBus"/>, and asks again. Asking again is safe:
    /// systemd joins a stop job in progress and leaves a stopped unit alone. Otherwise an epilog
    /// would end with the tracer still running and nobody left to stop it.
    /// </summary>
    public async Task StopAsync(JobId job, CancellationToken ct)
    {
        // Taken before the first await: no start asked for before this stop is sent after it.
        using var order = _order.Stop(JobNames.Unit(job));
        using var busWait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var waiting = false;
        while (true)
        {
            var generation = _bus.Generation;
            try
            {
                await StopOnceAsync(job, order, ct).ConfigureAwait(false);
                _owedStops.TryRemove(job, out _);
                if (waiting) _log.LogInformation("Stopped {Unit} once the D-Bus system bus was back", JobNames.Unit(job));
                return;
            }
            catch (SystemdBusException e) when (e.BusUnavailable && !ct.IsCancellationRequested)
            {
                if (!waiting) busWait.CancelAfter(_options.StopWaitsForBus);
                waiting = true;
                _log.LogWarning("Stopping {Unit}: {Cause}; asking again once the bus is back", JobNames.Unit(job), e.Message);
                try { await _bus.ConnectedAfterAsync(generation, busWait.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Nobody else will ask again for this unit: the backend owes its stop to the next connection.
                    _owedStops.TryAdd(job, 0);
                    throw new SystemdBusException($"could not stop {JobNames.Unit(job)}: {e.Message}; the bus was not back within " +
                                                  $"{_options.StopWaitsForBus.TotalSeconds:0} s (it will be stopped once the bus is back)", e);
                }
            }
        }
    }

    /// <summary>
    /// Stops the unit and confirms it is inactive or failed. A stop job can end while the unit
    /// runs (a start that reached systemd after the stop, by this daemon or by hand, replaces
    /// the stop job or follows it): then it is stopped again, at most <see cref="StopJobsPerStop"/> times.
    /// </summary>
    private async Task StopOnceAsync(JobId job, UnitCall order, CancellationToken ct)
    {
        var unit = JobNames.Unit(job);
        var path = SystemdEscape.BusPath(unit);
        string state;
        for (var stopJobs = 1; ; stopJobs++)
        {
            string result;
            using (var wait = _jobs.Watch(unit))
            {
                string jobPath;
                try
                {
                    jobPath = await order.SendAsync(() => _bus.StopUnitAsync(unit, ct), ct).ConfigureAwait(false);
                }
                catch (DBusErrorReplyException e) when (e.ErrorName == NoSuchUnit)
                {
                    return; // nothing to stop: not even the template is known
                }
                catch (DBusErrorReplyException e)
                {
                    throw new SystemdBusException($"systemd refused to stop {unit}: {SystemdBus.Describe(e)}", e);
                }
                result = await AwaitJobAsync(wait, jobPath, $"the stop job of {unit}", ct).ConfigureAwait(false);
            }

            state = await ReadActiveStateAsync(path, ct).ConfigureAwait(false);
            if (state is "inactive" or "failed") break;
            if (stopJobs == StopJobsPerStop)
                throw new SystemdBusException($"{unit} did not stop: {DescribeJobResult(result)}, the unit is {state} after {stopJobs} stop jobs; " +
                                              $"something keeps starting it (see systemctl list-jobs and journalctl -u {unit})");
            _log.LogWarning("{Unit} is {State} after its stop job ended: {JobResult}. Something started it again; stopping it again ({StopJob} of {StopJobs})",
                unit, state, DescribeJobResult(result), stopJobs + 1, StopJobsPerStop);
        }

        // A followed unit: let its follower read how it ended and reset it, then complete, so that
        // Exited has its reason and no failed instance is left when this returns.
        var followers = _exits.For(path);
        foreach (var watch in followers) watch.OnState(state);
        var followed = followers.Select(w => w.Followed).OfType<Task>().ToArray();
        if (followed.Length > 0)
        {
            try { await Task.WhenAll(followed).WaitAsync(ct).ConfigureAwait(false); }
            catch (Exception) when (!ct.IsCancellationRequested) { } // the follower's failure is Exited's to report
        }
        else if (state == "failed")
        {
            await TryResetFailedAsync(unit, ct).ConfigureAwait(false);
        }
    }

    public string? SystemdUnitOf(JobId job) => JobNames.Unit(job);

    public async Task<IReadOnlyList<JobId>> ListAsync(CancellationToken ct)
    {
        var names = await CallAsync(() => _bus.ListUnitsByPatternsAsync(RunningStates, [JobNames.UnitPattern], ct),
            "cannot list datacrumbs units").ConfigureAwait(false);
        var jobs = new List<JobId>(names.Length);
        foreach (var name in names)
        {
            if (JobNames.TryParseUnit(name, out var id)) jobs.Add(id);
            else _log.LogWarning("Ignoring unit {Unit}: its instance is not a canonical job id", UntrustedText.Printable(name));
        }
        return jobs;
    }

    // ---- following a started unit ----

    private async Task<UnitExit> FollowAsync(ExitWatch watch)
    {
        try
        {
            var state = await watch.Terminal.ConfigureAwait(false);
            var details = await FollowUpAsync(watch.Unit, watch.Path, resetFailed: state == "failed").ConfigureAwait(false);
            var what = state == "failed" ? "failed" : "exited";
            var reason = details is null ? $"{watch.Unit} {what}" : $"{watch.Unit} {what} ({details})";
            _log.LogDebug("{Unit} ended: {Cause}", watch.Unit, reason);
            return new UnitExit(reason);
        }
        finally
        {
            _exits.Remove(watch);
        }
    }

    /// <summary>
    /// Reads how the unit's main process ended and, for a failed unit, resets it. Bounded and
    /// best effort: it only adds detail to a message that is complete without it.
    /// </summary>
    private async Task<string?> FollowUpAsync(string unit, string path, bool resetFailed)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        cts.CancelAfter(_options.FollowUpTimeout);
        string? details = null;
        try
        {
            var service = await _bus.GetAllAsync(path, SystemdBus.ServiceInterface, cts.Token).ConfigureAwait(false);
            details = DescribeServiceResult(service);
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            _log.LogDebug("Could not read how {Unit} ended: {Cause}", unit, SystemdBus.Describe(e));
        }
        if (resetFailed) await TryResetFailedAsync(unit, cts.Token).ConfigureAwait(false);
        return details;
    }

    private async Task TryResetFailedAsync(string unit, CancellationToken ct)
    {
        try { await _bus.ResetFailedUnitAsync(unit, ct).ConfigureAwait(false); }
        catch (DBusErrorReplyException e) when (e.ErrorName == NoSuchUnit) { }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            _log.LogWarning("Could not reset the failed unit {Unit}: {Cause}", unit, SystemdBus.Describe(e));
        }
    }

    // ---- ISystemdSignals ----

    void ISystemdSignals.OnJobRemoved(string jobPath, string unit, string result) => _jobs.OnJobRemoved(jobPath, unit, result);

    void ISystemdSignals.OnActiveState(string unitPath, string activeState) => _exits.OnActiveState(unitPath, activeState);

    void ISystemdSignals.OnConnected()
    {
        // Signals may have been missed while the bus was down: read the state of every followed unit.
        foreach (var watch in _exits.All()) _ = RecheckAsync(watch);
        foreach (var job in _owedStops.Keys) _ = StopOwedAsync(job);
        BusConnectionChanged?.Invoke(true);
    }

    void ISystemdSignals.OnDisconnected(Exception reason)
    {
        _jobs.FailAll(reason);
        _ = FailExitWatchesUnlessReconnectedAsync(reason);
        BusConnectionChanged?.Invoke(false);
    }

    private async Task StopOwedAsync(JobId job)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        cts.CancelAfter(OwedStopTimeout);
        using var order = _order.Stop(JobNames.Unit(job));
        try
        {
            await StopOnceAsync(job, order, cts.Token).ConfigureAwait(false);
            _owedStops.TryRemove(job, out _);
            _log.LogInformation("Stopped {Unit}, whose epilog could not stop it while the D-Bus system bus was away", JobNames.Unit(job));
        }
        catch (SystemdBusException e) when (e.BusUnavailable) { } // lost again: the next connection tries again
        catch (Exception e)
        {
            _owedStops.TryRemove(job, out _);
            _log.LogError("Could not stop {Unit}, whose epilog could not stop it while the D-Bus system bus was away: {Cause} (stop it with systemctl)",
                JobNames.Unit(job), SystemdBus.Describe(e));
        }
    }

    private async Task RecheckAsync(ExitWatch watch)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        cts.CancelAfter(_options.FollowUpTimeout);
        try { watch.OnState(await ReadActiveStateAsync(watch.Path, cts.Token).ConfigureAwait(false)); }
        catch (Exception e) { _log.LogWarning("Could not re-read the state of {Unit}: {Cause}", watch.Unit, SystemdBus.Describe(e)); }
    }

    private async Task FailExitWatchesUnlessReconnectedAsync(Exception reason)
    {
        try { await Task.Delay(_options.ExitWatchGrace, _disposing.Token).ConfigureAwait(false); } // a grace period, not a poll
        catch (OperationCanceledException) { return; }
        if (_bus.IsConnected) return;
        var lost = new SystemdBusException($"{reason.Message}; not reconnected within {_options.ExitWatchGrace.TotalSeconds:0} s, so the unit's end cannot be observed", reason);
        foreach (var watch in _exits.All()) watch.Fail(lost);
    }

    // ---- helpers ----

    private async Task<string> ReadActiveStateAsync(string path, CancellationToken ct)
    {
        try { return await _bus.GetActiveStateAsync(path, ct).ConfigureAwait(false); }
        catch (DBusErrorReplyException e) when (e.ErrorName is NoSuchUnit or UnknownObject) { return "inactive"; }
    }

    private static async Task<string> AwaitJobAsync(JobWait wait, string jobPath, string what, CancellationToken ct)
    {
        try { return await wait.ResultOf(jobPath).WaitAsync(ct).ConfigureAwait(false); }
        catch (SystemdBusException e) { throw new SystemdBusException($"gave up waiting for {what}: {e.Message}", e); }
    }

    private static async Task<T> CallAsync<T>(Func<Task<T>> call, string what)
    {
        try { return await call().ConfigureAwait(false); }
        catch (DBusErrorReplyException e) { throw new SystemdBusException($"{what}: {SystemdBus.Describe(e)}", e); }
    }

    private static string DescribeJobResult(string result) => result switch
    {
        "done" => "the job completed",
        "failed" => "the start job failed",
        "timeout" => "the job timed out (TimeoutStartSec/TimeoutStopSec)",
        "canceled" => "the job was canceled (another request for the unit replaced it)",
        "dependency" => "a unit it depends on failed",
        "skipped" => "the job was skipped (a condition was not met)",
        "invalid" => "the job was invalid for the unit's state",
        _ => $"the job ended with '{UntrustedText.Printable(result)}'",
    };

    /// <summary>"exit-code, status 3" or "signal, SIGKILL" from the Service interface's properties.</summary>
    private static string? DescribeServiceResult(Dictionary<string, VariantValue> p)
    {
        if (!p.TryGetValue("Result", out var result) || result.Type != VariantValueType.String) return null;
        var text = result.GetString();
        if (p.TryGetValue("ExecMainCode", out var code) && code.Type == VariantValueType.Int32 &&
            p.TryGetValue("ExecMainStatus", out var status) && status.Type == VariantValueType.Int32)
        {
            text += code.GetInt32() switch
            {
                1 => $", status {status.GetInt32()}",                  // CLD_EXITED
                2 or 3 => $", {SignalName(status.GetInt32())}",        // CLD_KILLED, CLD_DUMPED
                _ => "",
            };
        }
        return text;
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        _disposing.Cancel();
        await _bus.DisposeAsync().ConfigureAwait(false);
        var closed = new ObjectDisposedException(nameof(SystemdUnitBackend), "the systemd backend was shut down");
        _jobs.FailAll(closed);
        foreach (var watch in _exits.All()) watch.Fail(closed);
        _disposing.Dispose();
    }
}
