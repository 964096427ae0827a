namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// Keeps systemd's view of each unit's start and stop calls in the order the daemon asked for
/// them. A stop supersedes every start of the same unit asked for before it: such a start that
/// has not been sent yet is never sent, and one already sent has its reply (systemd has queued
/// its job) before the stop goes out, so systemd replaces that start job by the stop.
/// Without this, a prolog's start that an epilog cancelled could still reach systemd after the
/// epilog's stop (the start task was past its token checks), and the tracer would run on after
/// its job, or the stop would find the unit active (seen under load: "did not stop: the job
/// completed, the unit is active").
/// </summary>
internal sealed class UnitCallOrder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UnitCalls> _units = new(StringComparer.Ordinal);

    /// <summary>A start, asked for now; send it with <see cref="UnitCall.SendAsync{T}"/>.</summary>
    public UnitCall Start(string unit) => Take(unit, stop: false);

    /// <summary>A stop, asked for now: from this moment no start asked for earlier is sent.</summary>
    public UnitCall Stop(string unit) => Take(unit, stop: true);

    /// <summary>Units with calls in progress (for specs: the table must not grow).</summary>
    public int Count { get { lock (_gate) return _units.Count; } }

    private UnitCall Take(string unit, bool stop)
    {
        lock (_gate)
        {
            if (!_units.TryGetValue(unit, out var calls)) _units[unit] = calls = new UnitCalls();
            calls.Users++;
            if (stop) calls.Stops++;
            return new UnitCall(this, unit, calls, stop ? null : calls.Stops);
        }
    }

    internal void Release(string unit, UnitCalls calls)
    {
        lock (_gate)
        {
            if (--calls.Users == 0) _units.Remove(unit);
        }
    }

    internal long StopsOf(UnitCalls calls)
    {
        lock (_gate) return calls.Stops;
    }
}

/// <summary>One unit's turn to talk to systemd, and how many stops were asked for so far.</summary>
internal sealed class UnitCalls
{
    public readonly SemaphoreSlim Turn = new(1, 1);
    public long Stops;
    public int Users;
}

/// <summary>One start or stop call of a unit. Dispose when done.</summary>
internal sealed class UnitCall(UnitCallOrder owner, string unit, UnitCalls calls, long? stopsWhenAsked) : IDisposable
{
    private bool _disposed;

    /// <summary>True once a start was refused because its unit was asked to stop meanwhile.</summary>
    public bool Superseded { get; private set; }

    /// <summary>True once the call was handed to the bus connection (its reply may still be pending).</summary>
    public bool Sent { get; private set; }

    /// <summary>
    /// Sends the call once it is this unit's turn and returns systemd's reply. A start whose unit
    /// was asked to stop after the start was asked for is not sent: it throws, and
    /// <see cref="Superseded"/> says why.
    /// </summary>
    public async Task<T> SendAsync<T>(Func<Task<T>> send, CancellationToken ct)
    {
        await calls.Turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // A caller that cancels and then stops (an epilog overtaking a prolog) may have taken
            // its start's place just after the stop did: its token tells.
            ct.ThrowIfCancellationRequested();
            if (stopsWhenAsked is { } before && owner.StopsOf(calls) != before)
            {
                Superseded = true;
                throw new SystemdBusException($"{unit} was not started: it was asked to stop before its start reached systemd");
            }
            Sent = true;
            return await send().ConfigureAwait(false);
        }
        finally
        {
            calls.Turn.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        owner.Release(unit, calls);
    }
}
