using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace Datacrumbs.Daemon.Systemd;

/// <summary>What the bus tells its owner: systemd's signals and the connection's ups and downs.</summary>
internal interface ISystemdSignals
{
    /// <summary>Manager.JobRemoved: a job of <paramref name="unit"/> finished with <paramref name="result"/>.</summary>
    void OnJobRemoved(string jobPath, string unit, string result);

    /// <summary>PropertiesChanged on a unit object that carried a new ActiveState.</summary>
    void OnActiveState(string unitPath, string activeState);

    /// <summary>A (new) connection is up, subscribed and matching signals.</summary>
    void OnConnected();

    /// <summary>The connection is gone; signals may have been missed.</summary>
    void OnDisconnected(Exception reason);
}

/// <summary>
/// One connection to the system bus, shared by every job, kept up by a reconnect loop with
/// capped exponential backoff. Each connection adds its signal matches and calls
/// Manager.Subscribe before anyone can use it, so a caller that registers interest and then
/// calls StartUnit can never miss the job's signals.
/// </summary>
internal sealed class SystemdBus : IAsyncDisposable
{
    public const string Service = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string ManagerInterface = "org.freedesktop.systemd1.Manager";
    public const string UnitInterface = "org.freedesktop.systemd1.Unit";
    public const string ServiceInterface = "org.freedesktop.systemd1.Service";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private const string UnitPathNamespace = "/org/freedesktop/systemd1/unit";

    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Calls awaiting their replies at once. The system bus refuses more than 128 per connection
    /// (max_replies_per_connection, LimitsExceeded): 200 epilogs at once failed some stops so.
    /// </summary>
    public const int MaxPendingCalls = 64;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    private readonly string _address;
    private readonly ISystemdSignals _signals;
    private readonly ILogger _log;
    private readonly TimeSpan _maxBackoff;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _pendingCalls = new(MaxPendingCalls, MaxPendingCalls);
    private TaskCompletionSource<DBusConnection> _current = NewAttempt();
    private int _generation; // connections made so far
    private TaskCompletionSource _nextConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public SystemdBus(string address, ISystemdSignals signals, ILogger log, TimeSpan maxBackoff)
    {
        _address = address;
        _signals = signals;
        _log = log;
        _maxBackoff = maxBackoff;
    }

    public string Address => _address;

    public bool IsConnected { get { lock (_gate) return _current.Task.IsCompletedSuccessfully; } }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>How many connections have been made so far: pass it to <see cref="ConnectedAfterAsync"/>.</summary>
    public int Generation { get { lock (_gate) return _generation; } }

    /// <summary>Completes once a connection newer than <paramref name="generation"/> is up and subscribed.</summary>
    public Task ConnectedAfterAsync(int generation, CancellationToken ct)
    {
        lock (_gate) return _generation > generation ? Task.CompletedTask : _nextConnection.Task.WaitAsync(ct);
    }

    /// <summary>
    /// The live connection; waits for the attempt in progress, and fails with that attempt's
    /// error rather than waiting for later ones (the reconnect loop keeps trying meanwhile).
    /// </summary>
    public Task<DBusConnection> ConnectionAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        lock (_gate) return _current.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var backoff = FirstBackoff;
        while (!_disposing.IsCancellationRequested)
        {
            var connection = new DBusConnection(_address);
            try
            {
                await SetUpAsync(connection).WaitAsync(ConnectTimeout, _disposing.Token).ConfigureAwait(false);
                var disconnected = connection.DisconnectedAsync();
                TaskCompletionSource connected;
                lock (_gate)
                {
                    _current.TrySetResult(connection);
                    _generation++;
                    (connected, _nextConnection) = (_nextConnection, new(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                connected.TrySetResult();
                _log.LogInformation("Connected to the D-Bus system bus at {BusAddress} as {BusName}", _address, connection.UniqueName);
                backoff = FirstBackoff;
                _signals.OnConnected();

                var reason = await disconnected.WaitAsync(_disposing.Token).ConfigureAwait(false);
                var lost = new SystemdBusException($"lost the connection to the D-Bus system bus at {_address}: {reason?.Message ?? "closed"}", reason) { BusUnavailable = true };
                lock (_gate) _current = NewAttempt();
                _log.LogWarning("{Cause}; reconnecting", lost.Message);
                _signals.OnDisconnected(lost);
            }
            catch (OperationCanceledException) when (_disposing.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                var failed = new SystemdBusException($"cannot connect to the D-Bus system bus at {_address}: {Describe(e)}", e) { BusUnavailable = true };
                TaskCompletionSource<DBusConnection> attempt;
                lock (_gate) { attempt = _current; _current = NewAttempt(); }
                attempt.TrySetException(failed);
                _log.LogWarning("{Cause}; retrying in {BackoffMs} ms", failed.Message, (int)backoff.TotalMilliseconds);
            }
            finally
            {
                connection.Dispose();
            }

            try { await Task.Delay(backoff, _disposing.Token).ConfigureAwait(false); } // backoff, not a wait for an event
            catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _maxBackoff.Ticks));
        }
    }

    private async Task SetUpAsync(DBusConnection connection)
    {
        await connection.ConnectAsync().ConfigureAwait(false);
        // Signals are dispatched inline, in bus order, on the receive loop: handlers only record
        // and complete tasks (asynchronously), never block.
        await connection.AddMatchAsync(
            new MatchRule { Type = MessageType.Signal, Sender = Service, Path = ManagerPath, Interface = ManagerInterface, Member = "JobRemoved" },
            static (m, _) => ReadJobRemoved(m),
            n => { if (n.HasValue) Guard(() => _signals.OnJobRemoved(n.Value.Job, n.Value.Unit, n.Value.Result)); },
            emitOnCapturedContext: false).ConfigureAwait(false);
        // One namespace match for every unit, filtered by path here, instead of a match per job:
        // the bus caps match rules per connection (512 on a stock system bus).
        await connection.AddMatchAsync(
            new MatchRule { Type = MessageType.Signal, Sender = Service, PathNamespace = UnitPathNamespace, Interface = PropertiesInterface, Member = "PropertiesChanged", Arg0 = UnitInterface },
            static (m, _) => ReadActiveStateChange(m),
            n => { if (n.HasValue && n.Value.State is { } state) Guard(() => _signals.OnActiveState(n.Value.Path, state)); },
            emitOnCapturedContext: false).ConfigureAwait(false);
        await connection.CallMethodAsync(ManagerCall(connection, "Subscribe")).ConfigureAwait(false);
    }

    private void Guard(Action handler)
    {
        // A throwing handler would make Tmds.DBus drop the connection.
        try { handler(); }
        catch (Exception e) { _log.LogError(e, "Handling a systemd signal failed: {Cause}", e.Message); }
    }

    // Readers must not throw either (Tmds.DBus would drop the connection): a malformed signal is
    // read as "nothing to see". The sender is matched to systemd by the bus, so this is defensive.
    private static (string Job, string Unit, string Result) ReadJobRemoved(Message m)
    {
        try
        {
            var r = m.GetBodyReader();
            r.ReadUInt32();
            var job = r.ReadObjectPathAsString();
            var unit = r.ReadString();
            var result = r.ReadString();
            return (job, unit, result);
        }
        catch (Exception) { return ("", "", ""); }
    }

    private static (string Path, string? State) ReadActiveStateChange(Message m)
    {
        try
        {
            var r = m.GetBodyReader();
            r.ReadString(); // interface, already matched by Arg0
            string? state = null;
            var end = r.ReadArrayStart(DBusType.Struct);
            while (r.HasNext(end))
            {
                var name = r.ReadString();
                var value = r.ReadVariantValue();
                if (name == "ActiveState" && value.Type == VariantValueType.String) state = value.GetString();
            }
            return (m.PathAsString ?? "", state);
        }
        catch (Exception) { return ("", null); }
    }

    // ---- calls ----

    /// <summary>
    /// Runs one call once fewer than <see cref="MaxPendingCalls"/> await their replies, and turns
    /// a connection that died under it into an error that says so.
    /// </summary>
    private async Task<T> GuardedAsync<T>(string method, CancellationToken ct, Func<Task<T>> call)
    {
        await _pendingCalls.WaitAsync(ct).ConfigureAwait(false);
        try { return await call().ConfigureAwait(false); }
        catch (DBusConnectionException e)
        {
            throw new SystemdBusException($"lost the connection to the D-Bus system bus at {_address} during {method}: {e.Message}", e) { BusUnavailable = true };
        }
        finally
        {
            _pendingCalls.Release();
        }
    }

    public async Task<string> StartUnitAsync(string unit, CancellationToken ct) => await UnitJobAsync("StartUnit", unit, ct).ConfigureAwait(false);
    public async Task<string> StopUnitAsync(string unit, CancellationToken ct) => await UnitJobAsync("StopUnit", unit, ct).ConfigureAwait(false);

    private Task<string> UnitJobAsync(string method, string unit, CancellationToken ct) => GuardedAsync(method, ct, async () =>
    {
        var c = await ConnectionAsync(ct).ConfigureAwait(false);
        var call = ManagerCall(c, method, "ss", (ref MessageWriter w) => { w.WriteString(unit); w.WriteString("replace"); });
        return await c.CallMethodAsync(call, static (m, _) => m.GetBodyReader().ReadObjectPathAsString()).WaitAsync(ct).ConfigureAwait(false);
    });

    public Task ResetFailedUnitAsync(string unit, CancellationToken ct) => GuardedAsync("ResetFailedUnit", ct, async () =>
    {
        var c = await ConnectionAsync(ct).ConfigureAwait(false);
        await c.CallMethodAsync(ManagerCall(c, "ResetFailedUnit", "s", (ref MessageWriter w) => w.WriteString(unit))).WaitAsync(ct).ConfigureAwait(false);
        return true;
    });

    /// <summary>Unit names matching <paramref name="patterns"/> whose ActiveState is one of <paramref name="states"/>.</summary>
    public Task<string[]> ListUnitsByPatternsAsync(string[] states, string[] patterns, CancellationToken ct) => GuardedAsync("ListUnitsByPatterns", ct, async () =>
    {
        var c = await ConnectionAsync(ct).ConfigureAwait(false);
        var call = ManagerCall(c, "ListUnitsByPatterns", "asas", (ref MessageWriter w) => { w.WriteArray(states); w.WriteArray(patterns); });
        return await c.CallMethodAsync(call, static (m, _) =>
        {
            // a(ssssssouso): name, description, load, active, sub, following, path, job id, job type, job path
            var r = m.GetBodyReader();
            var names = new List<string>();
            var end = r.ReadArrayStart(DBusType.Struct);
            while (r.HasNext(end))
            {
                r.AlignStruct();
                names.Add(r.ReadString());
                for (var i = 0; i < 5; i++) r.ReadString();
                r.ReadObjectPathAsString();
                r.ReadUInt32();
                r.ReadString();
                r.ReadObjectPathAsString();
            }
            return names.ToArray();
        }).WaitAsync(ct).ConfigureAwait(false);
    });

    /// <summary>Properties.GetAll of one interface of a unit object (systemd loads the unit if needed).</summary>
    public Task<Dictionary<string, VariantValue>> GetAllAsync(string unitPath, string @interface, CancellationToken ct) => GuardedAsync("GetAll", ct, async () =>
    {
        var c = await ConnectionAsync(ct).ConfigureAwait(false);
        var call = Call(c, unitPath, PropertiesInterface, "GetAll", "s", (ref MessageWriter w) => w.WriteString(@interface));
        return await c.CallMethodAsync(call, static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue()).WaitAsync(ct).ConfigureAwait(false);
    });

    public Task<string> GetActiveStateAsync(string unitPath, CancellationToken ct) => GuardedAsync("Get ActiveState", ct, async () =>
    {
        var c = await ConnectionAsync(ct).ConfigureAwait(false);
        var call = Call(c, unitPath, PropertiesInterface, "Get", "ss", static (ref MessageWriter w) => { w.WriteString(UnitInterface); w.WriteString("ActiveState"); });
        return await c.CallMethodAsync(call, static (m, _) => m.GetBodyReader().ReadVariantValue().GetString()).WaitAsync(ct).ConfigureAwait(false);
    });

    private delegate void BodyWriter(ref MessageWriter writer);

    private static MessageBuffer ManagerCall(DBusConnection c, string member, string? signature = null, BodyWriter? body = null) =>
        Call(c, ManagerPath, ManagerInterface, member, signature, body);

    private static MessageBuffer Call(DBusConnection c, string path, string @interface, string member, string? signature, BodyWriter? body)
    {
        var w = c.GetMessageWriter();
        try
        {
            w.WriteMethodCallHeader(destination: Service, path: path, @interface: @interface, member: member, signature: signature);
            body?.Invoke(ref w);
            return w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
    }

    private static TaskCompletionSource<DBusConnection> NewAttempt() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static string Describe(Exception e) => e switch
    {
        DBusErrorReplyException d => $"{d.ErrorName}: {d.ErrorMessage}",
        TimeoutException => $"no answer within {ConnectTimeout.TotalSeconds:0} s",
        _ => e.Message,
    };

    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        _disposing.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        lock (_gate)
        {
            if (_current.Task.IsCompletedSuccessfully) _current.Task.Result.Dispose();
            _current.TrySetException(new ObjectDisposedException(nameof(SystemdBus)));
        }
        _disposing.Dispose();
    }
}
