namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// How many probe files are handled at once. Each user's jobs take turns, at most
/// <paramref name="perUser"/> at a time (reading the file as that user, then checking it), so one
/// user's flood of hostile documents queues behind itself; and at most <paramref name="checks"/>
/// documents are decompressed and parsed at once over all users, so the daemon's memory stays
/// bounded whatever the number of users. Waits end with the job's state timeout (its token).
/// </summary>
public sealed class AdmissionGate(int perUser, int checks)
{
    private readonly SemaphoreSlim _checks = new(checks, checks);
    private readonly Dictionary<uint, (SemaphoreSlim Turns, int Holders)> _users = [];

    /// <summary>Waits for one of the user's turns; dispose the result to give it back.</summary>
    public async Task<IDisposable> UserTurnAsync(uint uid, CancellationToken ct)
    {
        SemaphoreSlim turns;
        lock (_users)
        {
            var (existing, holders) = _users.GetValueOrDefault(uid);
            turns = existing ?? new SemaphoreSlim(perUser, perUser);
            _users[uid] = (turns, holders + 1);
        }
        try { await turns.WaitAsync(ct).ConfigureAwait(false); }
        catch
        {
            Forget(uid);
            throw;
        }
        return new Turn(() =>
        {
            turns.Release();
            Forget(uid);
        });
    }

    /// <summary>Waits for one of the slots for decompressing and parsing a document.</summary>
    public async Task<IDisposable> CheckSlotAsync(CancellationToken ct)
    {
        await _checks.WaitAsync(ct).ConfigureAwait(false);
        return new Turn(() => _checks.Release());
    }

    /// <summary>Drops a user's entry when nobody waits on it or holds it (the table does not grow with every uid ever seen).</summary>
    private void Forget(uint uid)
    {
        lock (_users)
        {
            var (turns, holders) = _users[uid];
            if (holders == 1) _users.Remove(uid);
            else _users[uid] = (turns, holders - 1);
        }
    }

    private sealed class Turn(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) release();
        }
    }
}
