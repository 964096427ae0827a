namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// Follows started units until they are inactive or failed, from the units' PropertiesChanged
/// signals (by object path), plus explicit reads where signals may have been missed.
/// </summary>
internal sealed class ExitWatches
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<ExitWatch>> _byPath = new(StringComparer.Ordinal);

    public ExitWatch Watch(string unit, string unitPath)
    {
        var watch = new ExitWatch(unit, unitPath);
        lock (_gate)
        {
            if (!_byPath.TryGetValue(unitPath, out var list)) _byPath[unitPath] = list = [];
            list.Add(watch);
        }
        return watch;
    }

    public void OnActiveState(string unitPath, string state)
    {
        ExitWatch[] watches;
        lock (_gate)
        {
            if (!_byPath.TryGetValue(unitPath, out var list)) return;
            watches = [.. list];
        }
        foreach (var w in watches) w.OnState(state);
    }

    public ExitWatch[] All()
    {
        lock (_gate) return [.. _byPath.Values.SelectMany(l => l)];
    }

    public ExitWatch[] For(string unitPath)
    {
        lock (_gate) return _byPath.TryGetValue(unitPath, out var list) ? [.. list] : [];
    }

    public void Remove(ExitWatch watch)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(watch.Path, out var list)) return;
            list.Remove(watch);
            if (list.Count == 0) _byPath.Remove(watch.Path);
        }
    }
}

/// <summary>Completes with the terminal ActiveState (inactive or failed) of one unit.</summary>
internal sealed class ExitWatch(string unit, string path)
{
    private readonly TaskCompletionSource<string> _terminal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Unit { get; } = unit;
    public string Path { get; } = path;
    public Task<string> Terminal => _terminal.Task;

    /// <summary>The follower's task (what <c>RunningUnit.Exited</c> returns); it outlives <see cref="Terminal"/>.</summary>
    public Task? Followed { get; set; }

    public void OnState(string state)
    {
        if (state is "inactive" or "failed") _terminal.TrySetResult(state);
    }

    public void Fail(Exception reason) => _terminal.TrySetException(reason);
}
