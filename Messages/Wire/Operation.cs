namespace Datacrumbs.Messages.Wire;

/// <summary>What a client asks the daemon for.</summary>
public enum Operation
{
    /// <summary>Start tracing for a job (Flux prolog, or the wrapper's start with inline metadata).</summary>
    Prolog,
    /// <summary>Stop tracing for a job and clean up (Flux epilog, or the wrapper's stop).</summary>
    Epilog,
    /// <summary>List the jobs the daemon tracks; ordinary users see only their own.</summary>
    Status,
}
