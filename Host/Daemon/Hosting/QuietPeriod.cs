namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Decides, one timer tick at a time, when a quiet period has begun: the request count has not
/// moved for <c>ticks</c> ticks, and has moved since the last quiet period (or since the start).
/// </summary>
public sealed class QuietPeriod(int ticks, long requestsAtStart)
{
    private long _seen = requestsAtStart;
    private long _quietAt = requestsAtStart; // an idle daemon that served nothing has nothing to give back
    private int _unchanged;

    /// <summary>Called at every tick with the request count; true exactly once per quiet period.</summary>
    public bool EndsAt(long requests)
    {
        _unchanged = requests == _seen ? _unchanged + 1 : 0;
        _seen = requests;
        if (_unchanged < ticks || _quietAt == requests) return false;
        _quietAt = requests;
        return true;
    }
}
