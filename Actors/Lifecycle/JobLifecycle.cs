using Akka.Actor;
using Akka.Event;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// One job on this node, from prolog to epilog:
/// Resolving -> WritingEnv -> StartingUnit -> AwaitingReady -> Ready -> Stopping -> Done.
/// Any failure before Ready goes through Failing (stop what was started, remove the files) to
/// Failed, which keeps the answer for duplicate prologs until the epilog. Every state has a
/// timer; every port call runs off the actor thread and is cancelled when its state ends.
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
    private DateTimeOffset _stateSince;
    private TimeSpan? _readyAfter;
    private string _user;
    private string? _error;
    private JobAnswer? _prologAnswer;
    private bool _unitMayRun;
    private bool _ended;
    private bool _awaitingCommand;
    private int _generation;
    private CancellationTokenSource? _step;

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

        Receive<Prolog>(OnProlog);
        Receive<Epilog>(OnEpilog);
        Receive<StepSucceeded>(m => m.Generation == _generation, OnStepSucceeded);
        Receive<StepFailed>(m => m.Generation == _generation, m => OnStepFailed(Describe(m.Cause)));
        Receive<StateTimedOut>(m => m.Generation == _generation, m => OnStepFailed($"timed out after {m.After.TotalSeconds:0.###} s"));
        Receive<UnitExited>(OnUnitExited);
        // Results of steps that a later state has superseded (cancelled, timed out) are dropped here.
        Receive<StepSucceeded>(_ => { });
        Receive<StepFailed>(_ => { });
        Receive<StateTimedOut>(_ => { });
    }

    private DateTimeOffset Now => Context.System.Scheduler.Now;
    private TimeSpan Elapsed => Now - _createdAt;

    protected override void PreStart()
    {
        switch (_start)
        {
            case LifecycleStart.Prolog or LifecycleStart.Epilog:
                // Work starts when the command that created this lifecycle arrives: started here, a fast
                // lifecycle (not requested, nothing to clean) could end before the supervisor's forward of
                // that command reached it, and the command would be lost with no answer.
                _awaitingCommand = true;
                break;
            case LifecycleStart.Leftover:
                _unitMayRun = true;
                EnterStopping();
                break;
            case LifecycleStart.Adopted when !_adoptedReady:
                _unitMayRun = true;
                LogInfo("adopted a running tracer that was not ready yet; waiting for it");
                AwaitReady();
                break;
            case LifecycleStart.Adopted:
                _unitMayRun = true;
                _prologAnswer = Answer(Outcome.Ready, LifecycleState.Ready, "tracing (adopted after a daemon restart)");
                Enter(LifecycleState.Ready);
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
    }

    // ---- commands -------------------------------------------------------------------------

    private void OnProlog(Prolog prolog)
    {
        if (BounceIfEnded(prolog)) return;
        if (_awaitingCommand && _start is LifecycleStart.Prolog)
        {
            _awaitingCommand = false;
            _prologWaiters.Add(Sender);
            Resolve();
        }
        else if (_prologAnswer is not null) Sender.Tell(_prologAnswer);
        else if (_state is LifecycleState.Stopping && _start is LifecycleStart.Epilog or LifecycleStart.Leftover)
            Sender.Tell(Answer(Outcome.Canceled, _state, "the job's epilog arrived before its prolog"));
        else _prologWaiters.Add(Sender);
    }

    private void OnEpilog(Epilog epilog)
    {
        if (BounceIfEnded(epilog)) return;
        _epilogWaiters.Add(Sender);
        if (_awaitingCommand)
        {
            _awaitingCommand = false;
            _unitMayRun = true; // unknown job: assume the worst and stop whatever may run
            EnterStopping();
            return;
        }
        switch (_state)
        {
            case LifecycleState.Resolving or LifecycleState.WritingEnv or LifecycleState.StartingUnit or LifecycleState.AwaitingReady:
                LogInfo("epilog arrived before the tracer was ready; cancelling the prolog");
                AnswerProlog(Answer(Outcome.Canceled, _state, $"the epilog arrived while the prolog was in {_state}; tracing was cancelled"));
                EnterStopping();
                break;
            case LifecycleState.Ready or LifecycleState.Failed:
                EnterStopping();
                break;
            // Failing and Stopping are already cleaning up; the waiter is answered when they finish.
        }
    }

    // ---- step results ---------------------------------------------------------------------

    private void OnStepSucceeded(StepSucceeded step)
    {
        switch (_state)
        {
            case LifecycleState.Resolving:
                var resolved = (Resolved)step.Result!;
                _user = resolved.User;
                if (resolved.Environment is null)
                {
                    var notRequested = Answer(Outcome.NotRequested, LifecycleState.NotRequested, "the job did not ask for tracing");
                    AnswerProlog(notRequested);
                    Enter(LifecycleState.NotRequested);
                    End(notRequested);
                    return;
                }
                WriteEnv(resolved.Environment);
                break;
            case LifecycleState.WritingEnv:
                StartUnit();
                break;
            case LifecycleState.StartingUnit:
                var unit = (RunningUnit)step.Result!;
                unit.Exited.PipeTo(Self, success: exit => new UnitExited(exit),
                    failure: e => new UnitExited(new UnitExit($"lost track of the unit: {Describe(e)}")));
                AwaitReady();
                break;
            case LifecycleState.AwaitingReady:
                Timers.Cancel(StateTimer);
                _readyAfter = Elapsed;
                Enter(LifecycleState.Ready);
                LogInfo("tracer ready after {ReadyMs} ms", Math.Round(_readyAfter.Value.TotalMilliseconds, 1));
                AnswerProlog(Answer(Outcome.Ready, LifecycleState.Ready, $"tracing {_job} with {JobNames.Unit(_job)}"));
                break;
            case LifecycleState.Failing:
                FinishFailing(cleanupError: null);
                break;
            case LifecycleState.Stopping:
                FinishStopping(cleanupError: null);
                break;
        }
    }

    private void OnStepFailed(string cause)
    {
        switch (_state)
        {
            case LifecycleState.Resolving or LifecycleState.WritingEnv or LifecycleState.StartingUnit or LifecycleState.AwaitingReady:
                EnterFailing(_state, cause);
                break;
            case LifecycleState.Failing:
                FinishFailing(cleanupError: cause);
                break;
            case LifecycleState.Stopping:
                FinishStopping(cleanupError: cause);
                break;
        }
    }

    private void OnUnitExited(UnitExited exited)
    {
        switch (_state)
        {
            case LifecycleState.StartingUnit or LifecycleState.AwaitingReady:
                EnterFailing(_state, $"the tracer unit ended before it was ready: {exited.Exit.Reason}");
                break;
            case LifecycleState.Ready:
                _error = $"the tracer ended after it was ready: {exited.Exit.Reason}";
                LogWarning("{Cause}; the job runs on untraced, the epilog will clean up", _error);
                Enter(LifecycleState.Ready);
                break;
            // While failing or stopping an exit is what we asked for.
        }
    }

    // ---- the steps --------------------------------------------------------------------------

    private void Resolve()
    {
        LogDebug("prolog: resolving the job's tracing request");
        var request = _request!;
        var ports = _ports;
        Run(LifecycleState.Resolving, _timeouts.Resolve, async ct =>
        {
            var metadata = await ports.Metadata.ResolveAsync(request, ct).ConfigureAwait(false);
            if (metadata.Tracing is not { IsEnabled: true }) return new Resolved(metadata.UserName, null);
            var probe = await ports.Probes.AdmitAsync(request, metadata, ct).ConfigureAwait(false);
            return new Resolved(metadata.UserName,
                TracerEnvironment.For(request, metadata, probe, ports.ReadyFiles.PathOf(request.Job)));
        });
    }

    private void WriteEnv(TracerEnvironment environment)
    {
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.WritingEnv, _timeouts.WriteEnv, async ct =>
        {
            await ports.EnvFiles.WriteAsync(job, environment, ct).ConfigureAwait(false);
            return null;
        });
    }

    private void StartUnit()
    {
        _unitMayRun = true;
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.StartingUnit, _timeouts.Start, async ct => await ports.Units.StartAsync(job, ct).ConfigureAwait(false));
    }

    private void AwaitReady()
    {
        var (job, ports) = (_job, _ports);
        Run(LifecycleState.AwaitingReady, _timeouts.Ready, async ct =>
        {
            await ports.ReadyFiles.WaitAsync(job, ct).ConfigureAwait(false);
            return null;
        });
    }

    private void EnterFailing(LifecycleState failedIn, string cause)
    {
        _failedIn = failedIn;
        _error = $"failed in {failedIn}: {cause}";
        LogError("tracing failed in {FailedState}: {Cause}", failedIn, cause);
        RunCleanup(LifecycleState.Failing);
    }

    private void EnterStopping() => RunCleanup(LifecycleState.Stopping);

    private void FinishFailing(string? cleanupError)
    {
        if (cleanupError is not null)
        {
            _error += $"; cleanup incomplete: {cleanupError}";
            LogError("cleanup after the failure was incomplete: {Cause}", cleanupError);
        }
        Enter(LifecycleState.Failed);
        AnswerProlog(Answer(Outcome.Failed, _failedIn, _error!));
        if (_epilogWaiters.Count > 0) EnterStopping(); // an epilog came during the cleanup: make sure, then end
    }

    private void FinishStopping(string? cleanupError)
    {
        JobAnswer answer;
        if (cleanupError is null)
        {
            answer = Answer(Outcome.Stopped, LifecycleState.Done, "tracing stopped; nothing of the job is left on this node");
            Enter(LifecycleState.Done);
        }
        else
        {
            answer = Answer(Outcome.Failed, LifecycleState.Stopping, $"could not clean up: {cleanupError}");
            LogError("epilog could not clean up: {Cause}", cleanupError);
        }
        AnswerProlog(Answer(Outcome.Canceled, LifecycleState.Stopping, "the job's epilog ran before tracing was ready"));
        if (cleanupError is null) LogInfo("tracing stopped, nothing left");
        foreach (var waiter in _epilogWaiters) waiter.Tell(answer);
        _epilogWaiters.Clear();
        End(answer);
    }

    /// <summary>Stops the unit if it may run, then removes the env file, ready file and probe copy; reports every failure.</summary>
    private void RunCleanup(LifecycleState state)
    {
        var (job, ports, stopUnit) = (_job, _ports, _unitMayRun);
        Run(state, _timeouts.Stop, async ct =>
        {
            var problems = new List<string>();
            async Task Try(string what, Func<Task> action)
            {
                try { await action().ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { problems.Add($"{what}: {Describe(e)}"); }
            }
            if (stopUnit) await Try("stop unit", () => ports.Units.StopAsync(job, ct)).ConfigureAwait(false);
            await Try("remove env file", () => ports.EnvFiles.RemoveAsync(job, ct)).ConfigureAwait(false);
            await Try("remove ready file", () => ports.ReadyFiles.RemoveAsync(job, ct)).ConfigureAwait(false);
            await Try("remove probe copy", () => ports.Probes.ReleaseAsync(job, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (problems.Count > 0) throw new CleanupIncompleteException(string.Join("; ", problems));
            return null;
        });
    }

    // ---- mechanics ------------------------------------------------------------------------

    /// <summary>
    /// Enters a state whose work runs as a task: the previous step is cancelled, the state's
    /// timer starts, and the result comes back as a message tagged with this generation.
    /// </summary>
    private void Run(LifecycleState state, TimeSpan timeout, Func<CancellationToken, Task<object?>> work)
    {
        _step?.Cancel();
        _step?.Dispose();
        _step = new CancellationTokenSource();
        var generation = ++_generation;
        var token = _step.Token;
        Enter(state);
        Timers.StartSingleTimer(StateTimer, new StateTimedOut(generation, timeout), timeout);
        Task.Run(() => work(token), token).PipeTo(Self,
            success: result => new StepSucceeded(generation, result),
            failure: e => new StepFailed(generation, e));
    }

    private void Enter(LifecycleState state)
    {
        _state = state;
        _stateSince = Now;
        LogDebug("entered {State}", state);
        Context.Parent.Tell(new JobStateChanged(_job, _request?.Uid ?? 0, _user, state, _stateSince, _readyAfter, _error));
    }

    private void AnswerProlog(JobAnswer answer)
    {
        _prologAnswer ??= answer;
        foreach (var waiter in _prologWaiters) waiter.Tell(_prologAnswer);
        _prologWaiters.Clear();
    }

    /// <summary>
    /// Tells the supervisor, which stops this actor with a PoisonPill: it queues behind any command
    /// the supervisor forwarded before it heard of the end, and <see cref="BounceIfEnded"/>
    /// hands those back, so none is lost.
    /// </summary>
    private void End(JobAnswer answer)
    {
        _ended = true;
        Timers.CancelAll();
        Context.Parent.Tell(new JobEnded(_job, answer));
    }

    private bool BounceIfEnded(object command)
    {
        if (_ended) Context.Parent.Forward(command);
        return _ended;
    }

    // Every entry names the job, its user and its state as fields (DATACRUMBS_JOB_ID, _USER, _STATE in the journal).
    private const string LogContext = "{JobId} ({User}, {State}): ";
    private void LogDebug(string template, params object[] args) => _log.Debug(LogContext + template, [_job, _user, _state, .. args]);
    private void LogInfo(string template, params object[] args) => _log.Info(LogContext + template, [_job, _user, _state, .. args]);
    private void LogWarning(string template, params object[] args) => _log.Warning(LogContext + template, [_job, _user, _state, .. args]);
    private void LogError(string template, params object[] args) => _log.Error(LogContext + template, [_job, _user, _state, .. args]);

    private JobAnswer Answer(Outcome outcome, LifecycleState state, string message) =>
        new(_job, outcome, state, message, Elapsed);

    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        TaskCanceledException => "cancelled",
        _ => e.Message,
    };


    private sealed record Resolved(string User, TracerEnvironment? Environment);
    private sealed record StepSucceeded(int Generation, object? Result);
    private sealed record StepFailed(int Generation, Exception Cause);
    private sealed record StateTimedOut(int Generation, TimeSpan After);
    private sealed record UnitExited(UnitExit Exit);
    private sealed class CleanupIncompleteException(string message) : Exception(message);
}
