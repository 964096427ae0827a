using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metrics;

/// <summary>The metrics at one moment, as <see cref="LifecycleCounters.Snapshot"/> copied them.</summary>
public sealed record MetricsSnapshot(
    IReadOnlyDictionary<LifecycleState, long> JobsByState,
    IReadOnlyDictionary<Outcome, long> EndedByOutcome,
    IReadOnlyDictionary<LifecycleState, long> FailuresByState,
    Histogram PrologSeconds,
    Histogram TimeToReadySeconds,
    long TracerEndsAfterReady,
    long Crashes,
    long Adopted,
    long Leftovers);
