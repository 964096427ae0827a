using Datacrumbs.Daemon.Hosting;

namespace Datacrumbs.Specs.Daemon;

/// <summary>When the idle daemon gives memory back: once per quiet period that follows requests, never while busy.</summary>
public sealed class QuietPeriodSpec
{
    private static int[] TicksThatTrim(QuietPeriod quiet, params long[] requestCounts) =>
        requestCounts.Select((count, tick) => (count, tick)).Where(t => quiet.EndsAt(t.count)).Select(t => t.tick).ToArray();

    [Fact]
    public void A_daemon_that_served_nothing_has_nothing_to_give_back() =>
        Assert.Empty(TicksThatTrim(new QuietPeriod(3, 0), 0, 0, 0, 0, 0, 0, 0));

    [Fact]
    public void Three_quiet_ticks_after_requests_trim_once_and_only_once() =>
        Assert.Equal([4], TicksThatTrim(new QuietPeriod(3, 0), 5, 9, 9, 9, 9, 9, 9, 9, 9));

    [Fact]
    public void Requests_now_and_then_keep_it_from_trimming_and_the_next_quiet_period_trims_again() =>
        Assert.Equal([3, 9], TicksThatTrim(new QuietPeriod(3, 0), 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3));
}
