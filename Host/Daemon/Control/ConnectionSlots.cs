using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// Who may hold how many open control connections. Privileged callers (the Flux hooks, root) are
/// never turned away, so no user can starve a prolog by opening connections; every other user
/// may hold at most <paramref name="perUser"/>, and all of them together at most <paramref name="total"/>.
/// </summary>
public sealed class ConnectionSlots(int total, int perUser, CallerPolicy callers)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, int> _byUser = new();
    private int _unprivileged;

    public bool TryAcquire(PeerCredentials caller)
    {
        if (callers.IsPrivileged(caller)) return true;
        lock (_gate)
        {
            var mine = _byUser.GetValueOrDefault(caller.Uid);
            if (_unprivileged >= total || mine >= perUser) return false;
            _byUser[caller.Uid] = mine + 1;
            _unprivileged++;
            return true;
        }
    }

    public void Release(PeerCredentials caller)
    {
        if (callers.IsPrivileged(caller)) return;
        lock (_gate)
        {
            _unprivileged--;
            if (--_byUser[caller.Uid] == 0) _byUser.Remove(caller.Uid);
        }
    }
}
