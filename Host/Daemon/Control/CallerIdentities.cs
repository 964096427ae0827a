using Datacrumbs.Messages.Unix;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Control;

/// <summary>Turns the configured privileged callers (user names or uids) into uids.</summary>
public static class CallerIdentities
{
    public static IReadOnlySet<uint> Resolve(IEnumerable<string> callers, ILogger log)
    {
        var uids = new HashSet<uint> { UnixAccounts.EffectiveUid() }; // the daemon's own user (a non-root demo) may drive it
        foreach (var caller in callers)
        {
            if (UnixAccounts.LookupUid(caller) is { } uid) uids.Add(uid);
            else log.LogWarning("allowed caller '{Caller}' is not a known user; ignored", caller);
        }
        return uids;
    }
}
