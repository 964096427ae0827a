namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// Collects Manager.JobRemoved signals per unit for callers that registered before asking
/// systemd for a job. The signal can arrive before the reply that names the job, so results
/// are kept by job path until the caller asks for its own.
/// </summary>
internal sealed class JobWaits
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<JobWait>> _byUnit = new(StringComparer.Ordinal);

    public JobWait Watch(string unit)
    {
        var wait = new JobWait(this, unit);
        lock (_gate)
        {
            if (!_byUnit.TryGetValue(unit, out var list)) _byUnit[unit] = list = [];
            list.Add(wait);
        }
        return wait;
    }

    public void OnJobRemoved(string jobPath, string unit, string result)
    {
        JobWait[] waits;
        lock (_gate)
        {
            if (!_byUnit.TryGetValue(unit, out var list)) return;
            waits = [.. list];
        }
        foreach (var w in waits) w.Record(jobPath, result);
    }

    /// <summary>Fails every wait: their signals may be lost with the connection.</summary>
    public void FailAll(Exception reason)
    {
        JobWait[] waits;
        lock (_gate) waits = [.. _byUnit.Values.SelectMany(l => l)];
        foreach (var w in waits) w.Fail(reason);
    }

    internal void Remove(JobWait wait)
    {
        lock (_gate)
        {
            if (!_byUnit.TryGetValue(wait.Unit, out var list)) return;
            list.Remove(wait);
            if (list.Count == 0) _byUnit.Remove(wait.Unit);
        }
    }
}

/// <summary>One caller's interest in the jobs of one unit. Dispose when done.</summary>
internal sealed class JobWait(JobWaits owner, string unit) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskCompletionSource<string>> _results = new(StringComparer.Ordinal);
    private Exception? _failed;

    public string Unit { get; } = unit;

    /// <summary>The job's result (done, failed, timeout, canceled, dependency, skipped).</summary>
    public Task<string> ResultOf(string jobPath)
    {
        lock (_gate) return Slot(jobPath).Task;
    }

    public void Record(string jobPath, string result)
    {
        lock (_gate) Slot(jobPath).TrySetResult(result);
    }

    public void Fail(Exception reason)
    {
        lock (_gate)
        {
            _failed = reason;
            foreach (var tcs in _results.Values) tcs.TrySetException(reason);
        }
    }

    private TaskCompletionSource<string> Slot(string jobPath)
    {
        if (!_results.TryGetValue(jobPath, out var tcs))
        {
            _results[jobPath] = tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_failed is not null) tcs.TrySetException(_failed);
        }
        return tcs;
    }

    public void Dispose() => owner.Remove(this);
}
