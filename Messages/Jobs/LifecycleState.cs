namespace Datacrumbs.Messages.Jobs;

/// <summary>The states of one job's lifecycle, in the order a healthy job walks them.</summary>
public enum LifecycleState
{
    Resolving,
    WritingEnv,
    StartingUnit,
    AwaitingReady,
    Ready,
    Failing,
    Failed,
    Stopping,
    Done,
    NotRequested,
}
