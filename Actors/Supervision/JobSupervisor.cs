using Akka.Actor;
using Akka.Event;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Supervision;

/// <summary>
/// Owns one <see cref="JobLifecycle"/> per job. Routes prologs and epilogs to it (creating it
/// when needed), keeps the status table fed by its children, and contains failures: a child
/// that throws is stopped, its waiters are answered, and a cleanup lifecycle takes its place,
/// so one job's crash never touches another job.
/// </summary>
public sealed class JobSupervisor : ReceiveActor
{
    private readonly LifecyclePorts _ports;
    private readonly LifecycleTimeouts _timeouts;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<JobId, Child> _children = new();
    private readonly Dictionary<IActorRef, JobId> _jobsByChild = new();
    private readonly RecentlyEnded _recent;
    private readonly ILifecycleMetrics _metrics;
    private long _incarnation;

    public JobSupervisor(LifecyclePorts ports, LifecycleTimeouts timeouts, int rememberEnded = 4096, ILifecycleMetrics? metrics = null)
    {
        _ports = ports;
        _timeouts = timeouts;
        _recent = new RecentlyEnded(rememberEnded);
        _metrics = metrics ?? ILifecycleMetrics.None;

        Receive<Prolog>(OnProlog);
        Receive<Epilog>(OnEpilog);
        Receive<AdoptJobs>(OnAdopt);
        Receive<StatusQuery>(q => Sender.Tell(new StatusReport(Status(q.Uid))));
        Receive<JobStateChanged>(OnStateChanged);
        Receive<JobEnded>(OnEnded);
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(LifecyclePorts ports, LifecycleTimeouts timeouts, int rememberEnded = 4096, ILifecycleMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new JobSupervisor(ports, timeouts, rememberEnded, metrics));

    /// <summary>Any exception in a lifecycle stops that lifecycle only; <see cref="OnTerminated"/> takes it from there.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(e =>
        {
            _log.Error(e, "a job lifecycle crashed: {Cause}", e.Message);
            return Directive.Stop;
        });

    private void OnProlog(Prolog prolog)
    {
        var job = prolog.Request.Job;
        if (_children.TryGetValue(job, out var child))
        {
            // Cleaning up what a dead daemon left is not the job's epilog: the prolog (a hook's retry) starts afresh after it.
            if (!child.RememberEnd) child.Deferred.Add((prolog, Sender));
            else Forward(child, prolog);
            return;
        }
        if (_recent.TryGet(job, out var ended))
        {
            Sender.Tell(ended.Outcome == Outcome.NotRequested
                ? ended
                : ended with { Outcome = Outcome.Canceled, Message = "the job's epilog already ran on this node" });
            return;
        }
        var started = Spawn(job, prolog.Request, JobLifecycle.ForProlog(prolog.Request, _ports, _timeouts));
        started.AnswersProlog = true;
        Forward(started, prolog);
    }

    private void OnEpilog(Epilog epilog)
    {
        if (_children.TryGetValue(epilog.Job, out var child)) { Forward(child, epilog); return; }
        if (_recent.TryGet(epilog.Job, out var ended) && ended.Outcome is Outcome.NotRequested or Outcome.Stopped)
        {
            // A job that never asked stays NotRequested, so its epilog, like its prolog, adds nothing to `flux dmesg`.
            Sender.Tell(ended.Outcome == Outcome.NotRequested
                ? ended with { State = LifecycleState.Done, Message = "the job did not ask for tracing; nothing of it is on this node" }
                : ended with { Outcome = Outcome.Stopped, State = LifecycleState.Done, Message = "nothing of the job is left on this node" });
            return;
        }
        Forward(Spawn(epilog.Job, null, JobLifecycle.ForEpilog(epilog.Job, _ports, _timeouts)), epilog);
    }

    private void OnAdopt(AdoptJobs adopt)
    {
        _metrics.JobsFoundAtStart(adopt.Running.Count, adopt.Leftovers.Count);
        foreach (var job in adopt.Running.Where(j => !_children.ContainsKey(j.Job)))
            Spawn(job.Job, new JobRequest(job.Job, job.Uid), JobLifecycle.Adopted(job, _ports, _timeouts));
        // A leftover's cleanup is not its epilog: a prolog retried after the restart must still start tracing.
        foreach (var job in adopt.Leftovers.Where(j => !_children.ContainsKey(j)))
            Spawn(job, null, JobLifecycle.ForLeftover(job, _ports, _timeouts), rememberEnd: false);
    }

    private void OnStateChanged(JobStateChanged change)
    {
        if (!_children.TryGetValue(change.Job, out var child) || !child.Actor.Equals(Sender)) return;
        CountChange(child, change);
        child.Status = new JobStatus(change.Job.ToString(), change.Uid, change.User, change.State, change.Since,
            change.Unit ?? "-", change.ReadyAfter?.TotalMilliseconds, change.Error); // "-": the process backend has no unit
    }

    /// <summary>Metrics see each state once, the prolog's answer once, and a tracer's end after ready once.</summary>
    private void CountChange(Child child, JobStateChanged change)
    {
        var left = child.Status?.State;
        if (left != change.State) _metrics.StateEntered(left, change.State);
        else if (change.State == LifecycleState.Ready && child.Status?.LastError is null && change.Error is not null) _metrics.TracerEndedAfterReady();
        if (child.AnswersProlog && child.PrologOutcome is null && PrologOutcomeOf(change.State) is { } outcome)
        {
            child.PrologOutcome = outcome;
            _metrics.PrologAnswered(outcome, Context.System.Scheduler.MonotonicClock - child.Spawned);
        }
    }

    private static Outcome? PrologOutcomeOf(LifecycleState state) => state switch
    {
        LifecycleState.Ready => Outcome.Ready,
        LifecycleState.NotRequested => Outcome.NotRequested,
        LifecycleState.Failing or LifecycleState.Failed => Outcome.Failed,
        _ => null,
    };

    private void OnEnded(JobEnded ended)
    {
        if (!_jobsByChild.Remove(Sender)) return;
        Context.Unwatch(Sender);
        Sender.Tell(PoisonPill.Instance); // after the commands already forwarded to it, which it bounces back here
        if (!_children.Remove(ended.Job, out var child)) return;
        _metrics.LifecycleEnded(child.Status?.State, ended.Answer);
        if (child.RememberEnd) _recent.Add(ended.Answer);
        Replay(child);
    }

    private void Replay(Child child)
    {
        foreach (var (command, sender) in child.Deferred) Self.Tell(command, sender);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!_jobsByChild.Remove(terminated.ActorRef, out var job)) return; // ended normally
        var crashed = _children[job];
        _children.Remove(job);
        _metrics.LifecycleCrashed(crashed.Status?.State);
        // Whoever asked this lifecycle gets an answer; those it already answered ignore a second one.
        var answer = new JobAnswer(job, Outcome.Failed, crashed.Status?.State ?? LifecycleState.Resolving,
            $"the job's lifecycle crashed in {crashed.Status?.State.ToString() ?? "its start"} (see the journal); cleanup follows", TimeSpan.Zero);
        foreach (var waiter in crashed.Waiters) waiter.Tell(answer);
        Replay(crashed);
        if (crashed.IsCleanupAfterCrash)
        {
            _log.Error("{JobId}: cleanup after a crash crashed too; the epilog will try again", job);
            return;
        }
        _log.Warning("{JobId}: lifecycle crashed in {State}; cleaning up", job, crashed.Status?.State);
        Spawn(job, crashed.Request, JobLifecycle.AfterCrash(job, crashed.Request, _ports, _timeouts), cleanupAfterCrash: true);
    }

    private void Forward(Child child, object command)
    {
        child.Waiters.Add(Sender);
        child.Actor.Forward(command);
    }

    private Child Spawn(JobId job, JobRequest? request, Props props, bool cleanupAfterCrash = false, bool rememberEnd = true)
    {
        // Names carry the job for the logs, and an incarnation so a stopping child never blocks its successor's name.
        var actor = Context.ActorOf(props, $"{job}-{++_incarnation}");
        Context.Watch(actor);
        _children[job] = new Child(actor, request, cleanupAfterCrash, rememberEnd) { Spawned = Context.System.Scheduler.MonotonicClock };
        _jobsByChild[actor] = job;
        return _children[job];
    }

    private List<JobStatus> Status(uint? uid) =>
        _children.Values
            .Select(c => c.Status)
            .OfType<JobStatus>()
            .Where(s => uid is null || s.Uid == uid)
            .OrderBy(s => s.Since)
            .ToList();

    private sealed class Child(IActorRef actor, JobRequest? request, bool isCleanupAfterCrash, bool rememberEnd)
    {
        public bool RememberEnd { get; } = rememberEnd;
        public IActorRef Actor { get; } = actor;
        public JobRequest? Request { get; } = request;
        public bool IsCleanupAfterCrash { get; } = isCleanupAfterCrash;
        public JobStatus? Status { get; set; }
        public TimeSpan Spawned { get; init; }
        /// <summary>Started by a prolog (not an epilog, an adoption or a cleanup): its first answer is the prolog's.</summary>
        public bool AnswersProlog { get; set; }
        public Outcome? PrologOutcome { get; set; }
        /// <summary>Everyone who sent this lifecycle a command: answered by the supervisor if it crashes.</summary>
        public List<IActorRef> Waiters { get; } = new(1);
        /// <summary>Prologs that arrived while a leftover was being cleaned up: handled again once it ends.</summary>
        public List<(object Command, IActorRef Sender)> Deferred { get; } = [];
    }
}
