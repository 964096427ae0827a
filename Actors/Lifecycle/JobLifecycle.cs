using Akka.Actor;
using Akka.Event;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// One job on this node, from prolog to epilog:
/// Resolving -> WritingEnv -> StartingUnit -> AwaitingReady -> Ready -> Stopping -> Done.
/// Any failure before Ready goes through Failing (stop what was started, remove the files) to
/// Failed, which keeps the answer for duplicate prologs until the epilog. Each state is one
/// behaviour below (what it does with every message); the timed ones run their work off the
/// actor thread, cancelled when the state ends, and get their result back as a typed message.
/// </summary>
public sealed class JobLifecycle : ReceiveActor, IWithTimers
{
    private const string StateTimer = "state";

    private readonly JobId _job;
    private readonly JobRequest? _request;
    private readonly LifecyclePorts _ports;
    private readonly LifecycleTimeouts _timeouts;
    private readonly LifecycleStart _start;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _prologWaiters = new(1);
    private readonly List<IActorRef> _epilogWaiters = new(1);
    private readonly DateTimeOffset _createdAt;
    private readonly bool _adoptedReady;

    private LifecycleState _state;
    private LifecycleState _failedIn;
    private TimeSpan? _readyAfter;
    private string _user;
    private string? _error;
    private JobAnswer? _prologAnswer;
    private bool _unitMayRun;
    private int _generation;
    private CancellationTokenSource? _step;
    /// <summary>What the backend calls the running tracer (a unit, or "command[pid]"), for messages.</summary>
    private string? _tracer;
    /// <summary>What the tracer was started with and when: what its trace file is named after (none for adopted jobs).</summary>
    private TracerEnvironment? _environment;
    private TraceOrigin? _trace;
    private bool _wasReady;
    /// <summary>Following an adopted unit's end: cancelled when this lifecycle stops.</summary>
    private CancellationTokenSource? _following;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props ForProlog(JobRequest request, LifecyclePorts ports, LifecycleTimeouts timeouts) =>
        Make(() => new JobLifecycle(request.Job, request, LifecycleStart.Prolog, ports, timeouts, null, true));

    /// <summary>An epilog for a job this daemon does not track: make sure nothing of it is left.</summary>
    public static Props ForEpilog(JobId job, LifecyclePorts ports, LifecycleTimeouts timeouts) =>
        Make(() => new JobLifecycle(job, null, LifecycleStart.Epilog, ports, timeouts, null, true));

    /// <summary>What an earlier run of the daemon left of a job with no tracer running: cleaned up without waiting for a command.</summary>
    public static Props ForLeftover(JobId job, LifecyclePorts ports, LifecycleTimeouts timeouts) =>
        Make(() => new JobLifecycle(job, null, LifecycleStart.Leftover, ports, timeouts, null, true));

    /// <summary>A job found running after a daemon restart: Ready, so that its epilog stops it.</summary>
    public static Props Adopted(AdoptedJob job, LifecyclePorts ports, LifecycleTimeouts timeouts) =>
        Make(() => new JobLifecycle(job.Job, new JobRequest(job.Job, job.Uid), LifecycleStart.Adopted, ports, timeouts, job.User, job.WasReady));

    /// <summary>The lifecycle of this job crashed: clean up and hold the failure for the epilog.</summary>
    public static Props AfterCrash(JobId job, JobRequest? request, LifecyclePorts ports, LifecycleTimeouts timeouts) =>
        Make(() => new JobLifecycle(job, request, LifecycleStart.AfterCrash, ports, timeouts, null, true));

    /// <summary>
    /// Props from a plain factory. Props.Create(() => new ...) makes Akka compile the expression
    /// into a dynamic method on every call (and finalize it later): most of a lifecycle's CPU.
    /// </summary>
    private static Props Make(Func<JobLifecycle> factory) => Props.CreateBy(new Producer(factory));

    private sealed class Producer(Func<JobLifecycle> factory) : IIndirectActorProducer
    {
        public Type ActorType => typeof(JobLifecycle);
        public ActorBase Produce() => factory();
        public void Release(ActorBase actor) { }
    }

    public JobLifecycle(JobId job, JobRequest? request, LifecycleStart start, LifecyclePorts ports, LifecycleTimeouts timeouts, string? user,
        bool adoptedReady)
    {
        _adoptedReady = adoptedReady;
        _job = job;
        _request = request;
        _start = start;
        _ports = ports;
        _timeouts = timeouts;
        _user = user ?? (request is null ? "-" : request.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _createdAt = Now;
        AwaitingCommand();
    }

    private static DateTimeOffset Now => Context.System.Scheduler.Now;
    private TimeSpan Elapsed => Now - _createdAt;

    protected override void PreStart()
    {
        switch (_start)
        {
            case LifecycleStart.Prolog or LifecycleStart.Epilog:
                // Work starts when the command that created this lifecycle arrives (AwaitingCommand):
                // started here, a fast lifecycle (not requested, nothing to clean) could end before the
                // supervisor's forward of that command reached it, and the command would get no answer.
                break;
            case LifecycleStart.Leftover:
                _unitMayRun = true;
                EnterStopping();
                break;
            case LifecycleStart.Adopted when !_adoptedReady:
                _unitMayRun = true;
                LogInfo("adopted a running tracer that was not ready yet; waiting for it");
                FollowAdoptedUnit();
                AwaitReady();
                break;
            case LifecycleStart.Adopted:
                _unitMayRun = true;
                _prologAnswer = Answer(Outcome.Ready, LifecycleState.Ready, "tracing (adopted after a daemon restart)");
                FollowAdoptedUnit();
                EnterReady();
                LogInfo("adopted a running tracer found after a daemon restart");
                break;
            case LifecycleStart.AfterCrash:
                _unitMayRun = true;
                EnterFailing(LifecycleState.Failed, "the job's lifecycle crashed (see the preceding error)");
                break;
        }
    }

    /// <summary>Whatever stops this actor (its end, or the supervisor after a crash) cancels the step in flight.</summary>
    protected override void PostStop()
    {
        _step?.Cancel();
        _step?.Dispose();
        _following?.Cancel();
        _following?.Dispose();
    }

    /// <summary>An adopted tracer that ends is reported as a started one is (UnitExited), not only found at the epilog.</summary>
    private void FollowAdoptedUnit()
    {
        _following = new CancellationTokenSource();
        var self = Self;
        _ports.Units.FollowAdoptedAsync(_job, _following.Token).ContinueWith(followed =>
        {
            if (followed.IsCanceled) return; // this lifecycle has stopped: nobody to tell
            self.Tell(new UnitExited(followed.IsFaulted
                ? new UnitExit($"lost track of the adopted tracer: {Describe(followed.Exception!.GetBaseException())}")
                : followed.Result));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // ---- the states: each behaviour says what the state does with every message ---------------

    /// <summary>Created for a command that has not arrived yet (see PreStart).</summary>
    private void AwaitingCommand()
    {
        Receive<Prolog>(_ => _start is LifecycleStart.Prolog, _ =>
        {
            _prologWaiters.Add(Sender);
            Resolve();
        });
        Receive<Epilog>(_ =>
        {
            _epilogWaiters.Add(Sender);
            _unitMayRun = true; // unknown job: assume the worst and stop whatever may run
            EnterStopping();
        });
        Receive<Prolog>(OnPrologWhileBusy);
        IgnoreTheRest();
    }

    private void Resolving()
    {
        Receive<Resolved>(IsCurrent, resolved =>
        {
            _user = resolved.User;
            _environment = resolved.Environment;
            if (resolved.Environment is null) EndNotRequested();
            else WriteEnv(resolved.Environment);
        });
        PrologState();
    }

    private void WritingEnv()
    {
        Receive<EnvWritten>(IsCurrent, _ => StartUnit());
        PrologState();
    }

    private void StartingUnit()
    {
        Receive<UnitStarted>(IsCurrent, started =>
        {
            _tracer = started.Unit.Name;
            _trace = TraceOrigin.Of(_environment, Now);
            started.Unit.Exited.PipeTo(Self, success: exit => new UnitExited(exit),
                failure: e => new UnitExited(new UnitExit($"lost track of the tracer: {Describe(e)}")));
            AwaitReady();
        });
        Receive<UnitExited>(exited => EnterFailing(_state, $"the tracer ended before it was ready: {exited.Exit.Reason}"));
        PrologState();
    }

    private void AwaitingReady()
    {
        Receive<TracerReady>(IsCurrent, _ =>
        {
            _readyAfter = Elapsed;
            EnterReady();
            LogInfo("tracer ready after {ReadyMs} ms", Math.Round(_readyAfter.Value.TotalMilliseconds, 1));
            AnswerProlog(Answer(Outcome.Ready, LifecycleState.Ready, _ports.Units.SystemdUnitOf(_job) is { } unit
                ? $"tracing {_job} with {unit}"
                : $"tracing {_job} with the tracer process {_tracer}"));
            Show(new TracingShown(ShownState.Traced, Trace: _trace)); // not awaited: the job starts meanwhile
        });
        Receive<UnitExited>(exited => EnterFailing(_state, $"the tracer ended before it was ready: {exited.Exit.Reason}"));
        PrologState();
    }

    private void Ready()
    {
        Receive<Prolog>(OnPrologWhileBusy);
        Receive<Epilog>(_ =>
        {
            _epilogWaiters.Add(Sender);
            EnterStopping();
        });
        Receive<UnitExited>(exited =>
        {
            _error = $"the tracer ended after it was ready: {exited.Exit.Reason}";
            LogWarning("{Cause}; the job runs on untraced, the epilog will clean up", _error);
            Report(); // status shows the error; the state stays Ready until the epilog
            // The user hears it too (a non-fatal job exception under Flux); not awaited: the
            // notice bounds its own time and logs its own failure.
            if (_request is not null && _ports.Notices is { } notices)
                _ = notices.TellUserAsync(_request, $"{_error}; the job runs on untraced");
            Show(new TracingShown(ShownState.EndedAfterReady, _error));
        });
        IgnoreTheRest();
    }

    private void Failing() => CleaningUp(FinishFailing);

    private void Failed()
    {
        Receive<Prolog>(OnPrologWhileBusy);
        Receive<Epilog>(_ =>
        {
            _epilogWaiters.Add(Sender);
            EnterStopping();
        });
        IgnoreTheRest();
    }

    private void Stopping() => CleaningUp(FinishStopping);

    /// <summary>Done or NotRequested: the supervisor stops this actor; commands it forwarded meanwhile go back to it.</summary>
    private void Ended()
    {
        Receive<Prolog>(command => Context.Parent.Forward(command));
        Receive<Epilog>(command => Context.Parent.Forward(command));
        IgnoreTheRest();
    }

    // ---- what states share ----------------------------------------------------------------

    /// <summary>Resolving to AwaitingReady: a failure fails the prolog; an epilog cancels it.</summary>
    private void PrologState()
    {
        Receive<StepFailed>(IsCurrent, failed => EnterFailing(_state, Describe(failed.Cause)));
        Receive<StateTimedOut>(IsCurrent, timedOut => EnterFailing(_state, TimedOut(timedOut)));
        Receive<Prolog>(OnPrologWhileBusy);
        Receive<Epilog>(_ =>
        {
            _epilogWaiters.Add(Sender);
            LogInfo("epilog arrived before the tracer was ready; cancelling the prolog");
            AnswerProlog(Answer(Outcome.Canceled, _state, $"the epilog arrived while the prolog was in {_state}; tracing was cancelled"));
            EnterStopping();
        });
        IgnoreTheRest();
    }

    /// <summary>
    /// Failing and Stopping: the cleanup's end (null, or what could not be cleaned) goes to
    /// <paramref name="finish"/>; a command meanwhile waits for it.
    /// </summary>
    private void CleaningUp(Action<string?> finish)
    {
        Receive<CleanedUp>(IsCurrent, _ => finish(null));
        Receive<StepFailed>(IsCurrent, failed => finish(Describe(failed.Cause)));
        Receive<StateTimedOut>(IsCurrent, timedOut => finish(TimedOut(timedOut)));
        Receive<Prolog>(OnPrologWhileBusy);
        Receive<Epilog>(_ => _epilogWaiters.Add(Sender));
        IgnoreTheRest(); // the unit's exit is what a cleanup asks for
    }

    private void OnPrologWhileBusy(Prolog prolog)
    {
        if (_prologAnswer is not null) Sender.Tell(_prologAnswer);
        else if (_state is LifecycleState.Stopping && _start is LifecycleStart.Epilog or LifecycleStart.Leftover)
            Sender.Tell(Answer(Outcome.Canceled, _state, "the job's epilog arrived before its prolog"));
        else _prologWaiters.Add(Sender);
    }

    /// <summary>Results of steps that a later state has superseded, and unit exits nobody waits for, are dropped.</summary>
    private void IgnoreTheRest()
    {
        Receive<StepResult>(_ => { });
        Receive<UnitExited>(_ => { });
    }

    private bool IsCurrent(StepResult result) => result.Generation == _generation;

    // ---- the steps --------------------------------------------------------------------------

    private void Resolve()
    {
        LogDebug("prolog: resolving the job's tracing request");
        var (request, ports) = (_request!, _ports);
        Run(LifecycleState.Resolving, Resolving, _timeouts.Resolve, async (generation, ct) =>
        {
            var metadata = await ports.Metadata.ResolveAsync(request, ct).ConfigureAwait(false);
            if (metadata.Tracing is not { IsEnabled: true }) return new Resolved(generation, metadata.UserName, null);
            var probe = await ports.Probes.AdmitAsync(request, metadata, ct).ConfigureAwait(false);
            return new Resolved(generation, metadata.UserName,
                TracerEnvironment.For(request, metadata, probe, ports.ReadyFiles.PathOf(request.Job)));
        });
    }

    private void WriteEnv(TracerEnvironment environment)
    {
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.WritingEnv, WritingEnv, _timeouts.WriteEnv, async (generation, ct) =>
        {
            await ports.EnvFiles.WriteAsync(job, environment, ct).ConfigureAwait(false);
            return new EnvWritten(generation);
        });
    }

    private void StartUnit()
    {
        _unitMayRun = true;
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.StartingUnit, StartingUnit, _timeouts.Start, async (generation, ct) =>
            new UnitStarted(generation, await ports.Units.StartAsync(job, ct).ConfigureAwait(false)));
    }

    private void AwaitReady()
    {
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.AwaitingReady, AwaitingReady, _timeouts.Ready, async (generation, ct) =>
        {
            await ports.ReadyFiles.WaitAsync(job, ct).ConfigureAwait(false);
            return new TracerReady(generation);
        });
    }

    private void EnterReady()
    {
        _wasReady = true;
        Enter(LifecycleState.Ready, Ready);
    }

    /// <summary>Shows the user a tracing state; not awaited (the notices keep one job's in order and bound their own time).</summary>
    private void Show(TracingShown shown)
    {
        if (_request is not null && _ports.Notices is { } notices) _ = notices.ShowAsync(_request, shown);
    }

    private void EnterFailing(LifecycleState failedIn, string cause)
    {
        _failedIn = failedIn;
        _error = $"failed in {failedIn}: {cause}";
        LogError("tracing failed in {FailedState}: {Cause}", failedIn, cause);
        // Shown before the prolog is answered: under OnFailure Fail the job ends right after it.
        RunCleanup(LifecycleState.Failing, Failing, new TracingShown(ShownState.Failed, $"{cause} (in {failedIn})"));
    }

    /// <summary>
    /// A tracer that ran to the job's end: once it is stopped (its trace finalized), the user is
    /// shown where the trace is, before the epilog is answered and the job becomes inactive.
    /// </summary>
    private void EnterStopping() => RunCleanup(LifecycleState.Stopping, Stopping,
        _wasReady && _error is null && _trace is not null && _state is LifecycleState.Ready ? new TracingShown(ShownState.Stopped, Trace: _trace) : null);

    private void FinishFailing(string? cleanupError)
    {
        if (cleanupError is not null)
        {
            _error += $"; cleanup incomplete: {cleanupError}";
            LogError("cleanup after the failure was incomplete: {Cause}", cleanupError);
        }
        Enter(LifecycleState.Failed, Failed);
        AnswerProlog(Answer(Outcome.Failed, _failedIn, _error!));
        if (_epilogWaiters.Count > 0) EnterStopping(); // an epilog came during the cleanup: make sure, then end
    }

    private void FinishStopping(string? cleanupError)
    {
        JobAnswer answer;
        if (cleanupError is null)
        {
            answer = Answer(Outcome.Stopped, LifecycleState.Done, "tracing stopped; nothing of the job is left on this node");
            Enter(LifecycleState.Done, Ended);
        }
        else
        {
            answer = Answer(Outcome.Failed, LifecycleState.Stopping, $"could not clean up: {cleanupError}");
            LogError("epilog could not clean up: {Cause}", cleanupError);
            Become(Ended);
        }
        AnswerProlog(Answer(Outcome.Canceled, LifecycleState.Stopping, "the job's epilog ran before tracing was ready"));
        if (cleanupError is null) LogInfo("tracing stopped, nothing left");
        foreach (var waiter in _epilogWaiters) waiter.Tell(answer);
        _epilogWaiters.Clear();
        End(answer);
    }

    private void EndNotRequested()
    {
        var notRequested = Answer(Outcome.NotRequested, LifecycleState.NotRequested, "the job did not ask for tracing");
        AnswerProlog(notRequested);
        Enter(LifecycleState.NotRequested, Ended);
        End(notRequested);
    }

    /// <summary>
    /// Stops the unit if it may run, shows <paramref name="show"/> to the user, then removes the env
    /// file, ready file and probe copy; reports every failure.
    /// </summary>
    private void RunCleanup(LifecycleState state, Action behaviour, TracingShown? show = null)
    {
        var (job, ports, stopUnit, request) = (_job, _ports, _unitMayRun, _request);
        Run(state, behaviour, _timeouts.Stop, async (generation, ct) =>
        {
            var problems = new List<string>();
            async Task Try(string what, Func<Task> action)
            {
                try { await action().ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { problems.Add($"{what}: {Describe(e)}"); }
            }
            if (stopUnit) await Try("stop the tracer", () => ports.Units.StopAsync(job, ct)).ConfigureAwait(false);
            if (show is not null && request is not null && ports.Notices is { } notices)
                await notices.ShowAsync(request, show).WaitAsync(ct).ConfigureAwait(false);
            await Try("remove env file", () => ports.EnvFiles.RemoveAsync(job, ct)).ConfigureAwait(false);
            await Try("remove ready file", () => ports.ReadyFiles.RemoveAsync(job, ct)).ConfigureAwait(false);
            await Try("remove probe copy", () => ports.Probes.ReleaseAsync(job, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (problems.Count > 0) throw new CleanupIncompleteException(string.Join("; ", problems));
            return new CleanedUp(generation);
        });
    }

    // ---- mechanics ------------------------------------------------------------------------

    /// <summary>
    /// Enters a state whose work runs as a task: the previous step is cancelled, the state's
    /// timer starts, and the result comes back as the step's message, tagged with this generation.
    /// </summary>
    private void Run<TResult>(LifecycleState state, Action behaviour, TimeSpan timeout, Func<int, CancellationToken, Task<TResult>> work)
        where TResult : StepResult
    {
        _step?.Cancel();
        _step?.Dispose();
        _step = new CancellationTokenSource();
        var generation = ++_generation;
        var token = _step.Token;
        Enter(state, behaviour);
        Timers.StartSingleTimer(StateTimer, new StateTimedOut(generation, timeout), timeout);
        Task.Run(() => work(generation, token), token).PipeTo(Self,
            success: result => result,
            failure: e => new StepFailed(generation, e));
    }

    /// <summary>
    /// Enters a state and ends the last one's timer: a state with no work of its own (Ready, Failed)
    /// has none, so nothing wakes the daemon for it; <see cref="Run{TResult}"/> starts the new one's.
    /// </summary>
    private void Enter(LifecycleState state, Action behaviour)
    {
        Timers.Cancel(StateTimer);
        _state = state;
        Become(behaviour);
        LogDebug("entered {State}", state);
        Report();
    }

    /// <summary>Tells the supervisor (and so `status`) where this job is.</summary>
    private void Report() =>
        Context.Parent.Tell(new JobStateChanged(_job, _request?.Uid ?? 0, _user, _state, Now, _readyAfter, _error, _ports.Units.SystemdUnitOf(_job)));

    private void AnswerProlog(JobAnswer answer)
    {
        _prologAnswer ??= answer;
        foreach (var waiter in _prologWaiters) waiter.Tell(_prologAnswer);
        _prologWaiters.Clear();
    }

    /// <summary>
    /// Tells the supervisor, which stops this actor with a PoisonPill: it queues behind any command
    /// the supervisor forwarded before it heard of the end, and <see cref="Ended"/> hands those
    /// back, so none is lost.
    /// </summary>
    private void End(JobAnswer answer)
    {
        Timers.CancelAll();
        Context.Parent.Tell(new JobEnded(_job, answer));
    }

    // Every entry names the job, its user and its state as fields (DATACRUMBS_JOB_ID, _USER, _STATE in the journal).
    private const string LogContext = "{JobId} ({User}, {State}): ";
    private void LogDebug(string template, params object[] args) => _log.Debug(LogContext + template, [_job, _user, _state, .. args]);
    private void LogInfo(string template, params object[] args) => _log.Info(LogContext + template, [_job, _user, _state, .. args]);
    private void LogWarning(string template, params object[] args) => _log.Warning(LogContext + template, [_job, _user, _state, .. args]);
    private void LogError(string template, params object[] args) => _log.Error(LogContext + template, [_job, _user, _state, .. args]);

    private JobAnswer Answer(Outcome outcome, LifecycleState state, string message) =>
        new(_job, outcome, state, message, Elapsed);

    private static string TimedOut(StateTimedOut timedOut) => $"timed out after {timedOut.After.TotalSeconds:0.###} s";

    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        TaskCanceledException => "cancelled",
        _ => e.Message,
    };

    private sealed class CleanupIncompleteException(string message) : Exception(message);
}
