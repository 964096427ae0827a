namespace Datacrumbs.Daemon.Control;

/// <summary>How many requests the daemon has taken so far: lets background work tell a quiet node from a busy one.</summary>
public sealed class RequestActivity
{
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Raised after every request is counted, on the request's thread: lets background work wake only when there is work.</summary>
    public event Action? Arrived;

    public void Taken()
    {
        Interlocked.Increment(ref _requests);
        Arrived?.Invoke();
    }
}
