using System.Diagnostics;
using Akka.Actor;
using Akka.Actor.Scheduler;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Datacrumbs.Actors.Scheduling;

/// <summary>
/// The daemon's Akka scheduler: one <see cref="System.Threading.Timer"/>, armed for the earliest
/// pending deadline and disarmed when nothing is pending. Akka's default scheduler ticks every
/// 10 ms for the whole life of the actor system once anything was scheduled (on an idle compute
/// node about 13,700 context switches a second); this one wakes only when something is due, and
/// a cancelled timer (a lifecycle leaving its timed state) is removed at once, so an idle node
/// sees no wakeup at all. Selected by <see cref="Hocon"/>; TestKit specs keep their virtual-time
/// scheduler.
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    /// <summary>The configuration line that makes an actor system use this scheduler.</summary>
    public static readonly string Hocon =
        $"akka.scheduler.implementation = \"{typeof(DeadlineScheduler).FullName}, {typeof(DeadlineScheduler).Assembly.GetName().Name}\"";

    private readonly object _gate = new();
    private readonly SortedSet<Entry> _pending = new(EntryOrder.Instance);
    private readonly Timer _timer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sequence;
    private long _armedFor = long.MaxValue; // the deadline the timer is set for, in clock ticks; MaxValue: disarmed
    private bool _disposed;

    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        // Created disarmed: an actor system that schedules nothing never wakes for it.
        _timer = new Timer(static self => ((DeadlineScheduler)self!).Fire(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>How many deadlines are pending (cancelled ones are gone at once): zero on an idle node.</summary>
    public int Pending
    {
        get { lock (_gate) return _pending.Count; }
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;
    public override TimeSpan MonotonicClock => _clock.Elapsed;
    public override TimeSpan HighResMonotonicClock => _clock.Elapsed;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(initialDelay, interval, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Add(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Add(initialDelay, interval, action, cancelable);

    private void Add(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        if (cancelable is { IsCancellationRequested: true }) return;
        var entry = new Entry(action, interval.Ticks, cancelable);
        lock (_gate)
        {
            if (_disposed) throw new SchedulerException("cannot schedule: the actor system's scheduler has shut down");
            entry.Deadline = _clock.Elapsed.Ticks + Math.Max(0, delay.Ticks);
            entry.Sequence = ++_sequence;
            _pending.Add(entry);
            Arm();
        }
        // Registered outside the lock: a token cancelled meanwhile runs Remove at once, which takes the lock.
        if (cancelable is not null) entry.Registration = cancelable.Token.Register(static e => ((Entry)e!).Owner!.Remove((Entry)e), entry.WithOwner(this));
    }

    private void Remove(Entry entry)
    {
        lock (_gate)
        {
            if (!_pending.Remove(entry)) return;
            Arm();
        }
    }

    /// <summary>Sets the timer for the earliest pending deadline, or disarms it. Called under the lock.</summary>
    private void Arm()
    {
        var next = _pending.Count == 0 ? long.MaxValue : _pending.Min!.Deadline;
        if (next == _armedFor) return;
        _armedFor = next;
        if (next == long.MaxValue)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }
        // Rounded up to whole milliseconds: a timer that fires early would find nothing due and fire again.
        var dueMs = Math.Max(0, (next - _clock.Elapsed.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        _timer.Change(Math.Min(dueMs, uint.MaxValue - 1L), Timeout.Infinite);
    }

    private void Fire()
    {
        List<Entry> due = [];
        lock (_gate)
        {
            _armedFor = long.MaxValue; // the timer has fired: it is disarmed until Arm sets it again
            var now = _clock.Elapsed.Ticks;
            while (_pending.Count > 0 && _pending.Min!.Deadline <= now)
            {
                var entry = _pending.Min;
                _pending.Remove(entry);
                due.Add(entry);
                if (entry.Interval > 0 && !entry.IsCancelled)
                {
                    // Fixed rate, but a scheduler that fell behind does not fire a burst to catch up.
                    entry.Deadline = Math.Max(entry.Deadline + entry.Interval, now);
                    entry.Sequence = ++_sequence;
                    _pending.Add(entry);
                }
            }
            if (!_disposed) Arm();
        }
        foreach (var entry in due)
        {
            if (entry.Interval == 0) entry.Registration.Dispose();
            Run(entry);
        }
    }

    private void Run(Entry entry)
    {
        if (entry.IsCancelled) return;
        try
        {
            entry.Action.Run();
        }
        catch (SchedulerException)
        {
            // a message to an actor system that is shutting down
        }
        catch (Exception e)
        {
            Log.Error(e, "a scheduled task failed: {0}", entry.Action);
        }
    }

    /// <summary>At the actor system's end: stops the timer and runs what was still due once, as Akka's own scheduler does.</summary>
    public void Dispose()
    {
        List<Entry> left;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            left = _pending.Where(e => e.Interval == 0).ToList();
            _pending.Clear();
        }
        _timer.Dispose();
        foreach (var entry in left)
        {
            entry.Registration.Dispose();
            Run(entry);
        }
    }

    private sealed class Entry(IRunnable action, long interval, ICancelable? cancelable)
    {
        public IRunnable Action { get; } = action;
        public long Interval { get; } = interval;
        public long Deadline { get; set; }
        public long Sequence { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
        public DeadlineScheduler? Owner { get; private set; }
        public bool IsCancelled => cancelable is { IsCancellationRequested: true };

        public Entry WithOwner(DeadlineScheduler owner)
        {
            Owner = owner;
            return this;
        }
    }

    /// <summary>Earliest deadline first; the sequence number keeps equal deadlines apart and in order.</summary>
    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry? a, Entry? b)
        {
            var byDeadline = a!.Deadline.CompareTo(b!.Deadline);
            return byDeadline != 0 ? byDeadline : a.Sequence.CompareTo(b.Sequence);
        }
    }

    /// <summary>A scheduled Tell.</summary>
    private sealed class Tell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);
        public void Execute() => Run();
        public override string ToString() => $"[{receiver}.Tell({message})]";
    }
}
