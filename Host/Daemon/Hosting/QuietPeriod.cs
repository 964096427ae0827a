namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Decides when a quiet period has begun, with a timer that runs only while requests come: the
/// first request after a quiet period starts a watch (the caller arms its timer for one period);
/// at the timer's end the period was quiet if the request count has not moved since, else the
/// watch goes on for another period. An idle daemon therefore has no timer at all. Not thread-safe:
/// the caller serializes.
/// </summary>
public sealed class QuietPeriod
{
    private long _seen;
    private bool _watching;

    /// <summary>A request was taken (<paramref name="requests"/> counts it): true when a watch starts, so the caller arms its timer.</summary>
    public bool RequestTaken(long requests)
    {
        if (_watching) return false;
        _watching = true;
        _seen = requests;
        return true;
    }

    /// <summary>The timer's end: true when no request came during the period (the watch ends); false when the caller must arm the timer for another period.</summary>
    public bool EndsAt(long requests)
    {
        if (requests != _seen)
        {
            _seen = requests;
            return false;
        }
        _watching = false;
        return true;
    }
}
