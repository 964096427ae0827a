namespace Datacrumbs.Signer;

/// <summary>
/// How many clients the signer serves at once: at most <paramref name="perUser"/> of one uid and
/// <paramref name="total"/> in all, so that one user holding idle connections open fills only that
/// user's slots and everyone else can still sign.
/// </summary>
public sealed class ClientSlots(int total, int perUser)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, int> _byUser = new();
    private int _all;

    /// <summary>Null when a slot was taken (give it back with <see cref="Release"/>), otherwise why the client must wait.</summary>
    public string? TryAcquire(uint uid)
    {
        lock (_gate)
        {
            var mine = _byUser.GetValueOrDefault(uid);
            if (mine >= perUser) return $"uid {uid} has {mine} requests open, the most one user may have";
            if (_all >= total) return $"{total} clients are being served, the most at once";
            _byUser[uid] = mine + 1;
            _all++;
            return null;
        }
    }

    public void Release(uint uid)
    {
        lock (_gate)
        {
            _all--;
            if (--_byUser[uid] == 0) _byUser.Remove(uid);
        }
    }
}
