using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// Who may do what on the control socket. Starting and stopping tracing runs a root service:
/// only root, the daemon's own user and the configured callers (the Flux instance owner) may.
/// Anyone may ask for status, and sees only their own jobs unless privileged.
/// </summary>
public sealed class CallerPolicy(IReadOnlySet<uint> privilegedUids)
{
    public bool IsPrivileged(PeerCredentials caller) => caller.Uid == 0 || privilegedUids.Contains(caller.Uid);

    /// <summary>Null when allowed; otherwise the reason, for the reply.</summary>
    public string? Refusal(PeerCredentials caller, Operation op) => op switch
    {
        Operation.Status => null,
        _ when IsPrivileged(caller) => null,
        _ => $"uid {caller.Uid} may not {op.ToString().ToLowerInvariant()}: only root and the Flux instance owner may start or stop tracing",
    };
}
