using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// An idle daemon sleeps in the kernel: no timer ticks, no polling. On a compute node every
/// wakeup takes a core from a tightly coupled job. Counted as context switches of the daemon's
/// threads (<see cref="ThreadWakeups"/>), an event count that a loaded machine does not inflate:
/// Akka's default scheduler alone made about 68,000 in such a window.
/// </summary>
public sealed class IdleSilenceSpec() : DaemonSpec(new()
{
    // The idle trim runs once, a quiet period after the last request: a single wakeup, not idle
    // noise, and it must not fall into the window however slowly a loaded machine ran the job.
    ["IdleTrimSeconds"] = 3600,
})
{
    /// <summary>
    /// The measurement windows. Windows, not waits for something: silence has no event to await.
    /// 5 s is 500 ticks of Akka's default scheduler and several periods of any timer in the
    /// daemon that fires every second or so.
    /// </summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A handful: a thread may finish what it was doing as the window opens (a log write, a
    /// finalizer run after the last collection).
    /// </summary>
    private const long Handful = 10;

    [Fact]
    public async Task A_daemon_with_no_jobs_hardly_wakes_at_all()
    {
        // Started: DaemonProcess awaited its ready log line, written once both sockets listen.
        await AssertSilentAsync();
    }

    [Fact]
    public async Task After_a_traced_job_ends_the_daemon_hardly_wakes_at_all()
    {
        var job = new JobId(16001);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        // The supervisor has taken the job's end (JobEnded comes before this status in its mailbox): the job is over.
        Assert.Empty((await Daemon.SendAsync(new ControlRequest { Op = Operation.Status })).Jobs!);

        // Every timer the job's states started was cancelled as it left them: none may tick or fire.
        await AssertSilentAsync();
    }

    /// <summary>The most windows the daemon gets to settle: a ticking timer or a poll wakes in every one of them.</summary>
    private const int MaxWindows = 12;

    /// <summary>
    /// Windows back to back until one is silent. After its ready line (and after a job's last
    /// reply) the runtime still finishes work that has no event to await: thread-pool workers
    /// parking, the tiered JIT promoting what ran hot. That is a bounded number of wakeups
    /// (measured 50-400 over one or two windows on a loaded 2-core machine, once 138 in the
    /// second). A timer or a poll wakes in every window, so it fails after <see cref="MaxWindows"/>.
    /// </summary>
    private async Task AssertSilentAsync()
    {
        var counts = new List<long>();
        var last = ThreadWakeups.Of(Daemon.Pid);
        string loudest = "";
        for (var window = 0; window < MaxWindows; window++)
        {
            await Task.Delay(Window); // a measurement window (see above), not a wait for an event
            var now = ThreadWakeups.Of(Daemon.Pid);
            var wakeups = now.Since(last);
            var total = wakeups.Sum(t => t.Wakeups);
            if (total <= Handful) return;
            counts.Add(total);
            loudest = string.Join(", ", wakeups.Where(t => t.Wakeups > 0).Select(t => $"{t.Name} ({t.Tid}) {t.Wakeups}"));
            last = now;
        }
        Assert.Fail($"the idle daemon never settled: in each of {MaxWindows} windows of {Window.TotalSeconds:0} s it woke more than {Handful} times " +
                    $"({string.Join(", ", counts)}); the last window: {loudest}");
    }
}
