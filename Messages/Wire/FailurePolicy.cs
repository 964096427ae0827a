namespace Datacrumbs.Messages.Wire;

/// <summary>What a failed prolog means for the job (configured on the daemon, reported to the client).</summary>
public enum FailurePolicy
{
    /// <summary>The job runs untraced; the prolog client exits 0. The default: tracing must not break science.</summary>
    Continue,
    /// <summary>The prolog client exits non-zero and Flux cancels the job.</summary>
    Fail,
}
