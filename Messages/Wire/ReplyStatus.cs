namespace Datacrumbs.Messages.Wire;

/// <summary>Whether the daemon could act on a request at all (before any job outcome).</summary>
public enum ReplyStatus
{
    /// <summary>The request was carried out; see the outcome.</summary>
    Ok,
    /// <summary>The request was malformed or named something invalid; the message says what.</summary>
    BadRequest,
    /// <summary>The caller may not do this (identified by SO_PEERCRED).</summary>
    Forbidden,
    /// <summary>The daemon could not answer in time or is shutting down.</summary>
    Unavailable,
}
