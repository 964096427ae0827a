using Serilog.Core;
using Serilog.Events;

namespace Datacrumbs.Specs.Journal;

/// <summary>A Serilog sink that keeps what it gets, and lets a spec await an event; optionally
/// holds the caller at a gate, to stand for a sink that blocks.</summary>
public sealed class CollectingSink(SemaphoreSlim? gate = null) : ILogEventSink
{
    private readonly object _lock = new();
    private readonly List<LogEvent> _events = new();
    private readonly List<(Func<LogEvent, bool> Match, TaskCompletionSource<LogEvent> Seen)> _waiters = new();
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<LogEvent> Events { get { lock (_lock) return _events.ToList(); } }

    /// <summary>Completes when the first event has reached the sink (before its gate).</summary>
    public Task Entered => _entered.Task;

    public void Emit(LogEvent logEvent)
    {
        _entered.TrySetResult();
        gate?.Wait(TimeSpan.FromSeconds(60));
        lock (_lock)
        {
            _events.Add(logEvent);
            foreach (var w in _waiters.Where(w => w.Match(logEvent))) w.Seen.TrySetResult(logEvent);
        }
    }

    public Task<LogEvent> WaitForAsync(Func<LogEvent, bool> match, TimeSpan timeout)
    {
        lock (_lock)
        {
            var seen = _events.FirstOrDefault(match);
            if (seen is not null) return Task.FromResult(seen);
            var tcs = new TaskCompletionSource<LogEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            return tcs.Task.WaitAsync(timeout);
        }
    }
}
