namespace Datacrumbs.Messages.Jobs;

/// <summary>How a prolog or an epilog ended, as the client reports it.</summary>
public enum Outcome
{
    /// <summary>The tracer runs and its ready file exists.</summary>
    Ready,
    /// <summary>The job did not ask for tracing; nothing was started.</summary>
    NotRequested,
    /// <summary>Tracing could not be started; whatever was started has been cleaned up.</summary>
    Failed,
    /// <summary>The epilog arrived before the prolog finished; the prolog was cancelled and cleaned up.</summary>
    Canceled,
    /// <summary>The epilog finished: nothing of the job is left on this node.</summary>
    Stopped,
}
