using Datacrumbs.Daemon.Hosting;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// When the idle daemon gives memory back: a watch starts with the first request after a quiet
/// period, ends with one period without requests (trim), and no watch runs while nothing comes.
/// </summary>
public sealed class QuietPeriodSpec
{
    [Fact]
    public void A_period_without_requests_ends_the_watch_once()
    {
        var quiet = new QuietPeriod();
        Assert.True(quiet.RequestTaken(1));
        Assert.False(quiet.RequestTaken(2)); // already watching: no second timer
        Assert.False(quiet.EndsAt(5));       // requests came during the period: watch another
        Assert.True(quiet.EndsAt(5));        // a quiet period: trim, watch over
    }

    [Fact]
    public void The_next_request_after_a_trim_starts_a_new_watch()
    {
        var quiet = new QuietPeriod();
        quiet.RequestTaken(1);
        Assert.True(quiet.EndsAt(1));
        Assert.True(quiet.RequestTaken(2));
        Assert.True(quiet.EndsAt(2));
    }
}
