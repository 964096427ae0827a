using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metrics;

/// <summary>
/// The daemon's metrics as plain numbers: counted on the supervisor's thread, read by whoever
/// renders them. Every label value comes from an enum, so a job can never add a series.
/// </summary>
public sealed class LifecycleCounters : ILifecycleMetrics
{
    /// <summary>Seconds; the prolog of a healthy traced job is well under a second, the product's limit is minutes.</summary>
    public static readonly double[] Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly object _gate = new();
    private readonly long[] _jobsByState = new long[Enum.GetValues<LifecycleState>().Length];
    private readonly long[] _endedByOutcome = new long[Enum.GetValues<Outcome>().Length];
    private readonly long[] _failuresByState = new long[Enum.GetValues<LifecycleState>().Length];
    private readonly Histogram _prolog = new(Buckets);
    private readonly Histogram _timeToReady = new(Buckets);
    private long _tracerEndsAfterReady, _crashes, _adopted, _leftovers;

    /// <summary>Raised after every change, on the counting thread: the textfile writer arms its one-shot timer.</summary>
    public event Action? Changed;

    public void StateEntered(LifecycleState? left, LifecycleState entered)
    {
        lock (_gate)
        {
            if (left is { } l) _jobsByState[(int)l]--;
            _jobsByState[(int)entered]++;
            // Failing is entered from the state whose step failed: that is the failure's label.
            if (entered == LifecycleState.Failing && left is { } failedIn) _failuresByState[(int)failedIn]++;
        }
        Changed?.Invoke();
    }

    public void PrologAnswered(Outcome outcome, TimeSpan after)
    {
        lock (_gate)
        {
            _prolog.Observe(after.TotalSeconds);
            if (outcome == Outcome.Ready) _timeToReady.Observe(after.TotalSeconds);
        }
        Changed?.Invoke();
    }

    public void TracerEndedAfterReady() => Count(ref _tracerEndsAfterReady);

    public void LifecycleEnded(LifecycleState? last, JobAnswer answer)
    {
        lock (_gate)
        {
            if (last is { } l) _jobsByState[(int)l]--;
            _endedByOutcome[(int)answer.Outcome]++;
        }
        Changed?.Invoke();
    }

    public void LifecycleCrashed(LifecycleState? last)
    {
        lock (_gate)
        {
            if (last is { } l) _jobsByState[(int)l]--;
            _crashes++;
        }
        Changed?.Invoke();
    }

    public void JobsFoundAtStart(int adopted, int leftovers)
    {
        lock (_gate)
        {
            _adopted += adopted;
            _leftovers += leftovers;
        }
        Changed?.Invoke();
    }

    private void Count(ref long counter)
    {
        lock (_gate) counter++;
        Changed?.Invoke();
    }

    /// <summary>A consistent copy, taken under the lock, to render without holding it.</summary>
    public MetricsSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new MetricsSnapshot(
                Enum.GetValues<LifecycleState>().ToDictionary(s => s, s => _jobsByState[(int)s]),
                Enum.GetValues<Outcome>().ToDictionary(o => o, o => _endedByOutcome[(int)o]),
                Enum.GetValues<LifecycleState>().Where(s => _failuresByState[(int)s] > 0).ToDictionary(s => s, s => _failuresByState[(int)s]),
                _prolog.Copy(), _timeToReady.Copy(), _tracerEndsAfterReady, _crashes, _adopted, _leftovers);
        }
    }
}
