using Akka.Actor;
using Akka.Configuration;
using Datacrumbs.Actors.Scheduling;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Actors;

/// <summary>
/// The daemon's scheduler, in a real actor system on the real clock: what is due arrives, and
/// what is cancelled is gone at once, so an idle system has nothing pending and its one timer is
/// disarmed. Delays are short and deadlines generous: nothing here measures time.
/// </summary>
public sealed class DeadlineSchedulerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString($"{DeadlineScheduler.Hocon}\nakka.loglevel = WARNING"), output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LongAway = TimeSpan.FromHours(1);

    private DeadlineScheduler Scheduler => (DeadlineScheduler)Sys.Scheduler;

    [Fact]
    public void The_actor_system_runs_on_it_and_nothing_is_pending_at_start() =>
        Assert.Equal(0, Scheduler.Pending);

    [Fact]
    public void A_tell_arrives_once_at_its_deadline_and_leaves_nothing_pending()
    {
        var probe = CreateTestProbe();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(20), probe.Ref, "due", ActorRefs.NoSender);
        probe.ExpectMsg("due", Patience);
        Assert.Equal(0, Scheduler.Pending);
    }

    [Fact]
    public void An_earlier_deadline_scheduled_after_a_later_one_arrives_first()
    {
        var probe = CreateTestProbe();
        var later = Sys.Scheduler.ScheduleTellOnceCancelable(LongAway, probe.Ref, "later", ActorRefs.NoSender);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(20), probe.Ref, "sooner", ActorRefs.NoSender);
        probe.ExpectMsg("sooner", Patience);
        Assert.Equal(1, Scheduler.Pending);
        later.Cancel();
    }

    [Fact]
    public void A_cancelled_tell_is_gone_at_once_and_never_arrives()
    {
        var probe = CreateTestProbe();
        var cancelable = Sys.Scheduler.ScheduleTellOnceCancelable(LongAway, probe.Ref, "never", ActorRefs.NoSender);
        Assert.Equal(1, Scheduler.Pending);

        cancelable.Cancel();

        Assert.Equal(0, Scheduler.Pending);
    }

    [Fact]
    public void A_repeated_action_runs_again_and_again_until_cancelled_and_then_leaves_nothing_pending()
    {
        var probe = CreateTestProbe();
        var cancelable = new Cancelable(Sys.Scheduler);
        Sys.Scheduler.Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(10), () => probe.Ref.Tell("tick"), cancelable);
        for (var i = 0; i < 3; i++) probe.ExpectMsg("tick", Patience);

        cancelable.Cancel();

        Assert.Equal(0, Scheduler.Pending);
    }

    [Fact]
    public void An_actors_timers_leave_nothing_pending_once_cancelled()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new TimerOwner(probe.Ref)));
        actor.Tell("start");
        probe.ExpectMsg("started", Patience);
        Assert.Equal(1, Scheduler.Pending);

        actor.Tell("cancel");
        probe.ExpectMsg("cancelled", Patience);

        Assert.Equal(0, Scheduler.Pending);
    }

    /// <summary>A state timeout as the job lifecycle starts and cancels one (IWithTimers).</summary>
    private sealed class TimerOwner : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public TimerOwner(IActorRef probe)
        {
            Receive<string>(m => m == "start", _ =>
            {
                Timers.StartSingleTimer("state", "timed out", LongAway);
                probe.Tell("started");
            });
            Receive<string>(m => m == "cancel", _ =>
            {
                Timers.Cancel("state");
                probe.Tell("cancelled");
            });
        }
    }
}
