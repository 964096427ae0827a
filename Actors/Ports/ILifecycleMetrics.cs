using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// What the supervisor tells an operator's metrics about the lifecycles it owns. Called from the
/// supervisor's thread only, once per event: an implementation counts and returns, it never blocks.
/// </summary>
public interface ILifecycleMetrics
{
    /// <summary>A lifecycle entered <paramref name="entered"/>; <paramref name="left"/> is null for its first state.</summary>
    void StateEntered(LifecycleState? left, LifecycleState entered);

    /// <summary>A prolog got its answer (ready, not requested or failed) this long after the lifecycle began.</summary>
    void PrologAnswered(Outcome outcome, TimeSpan after);

    /// <summary>The tracer was ready, then ended before the job's epilog.</summary>
    void TracerEndedAfterReady();

    /// <summary>A lifecycle ended in <paramref name="last"/> with <paramref name="answer"/>.</summary>
    void LifecycleEnded(LifecycleState? last, JobAnswer answer);

    /// <summary>A lifecycle threw and was stopped in <paramref name="last"/>; a cleanup lifecycle follows.</summary>
    void LifecycleCrashed(LifecycleState? last);

    /// <summary>At start: jobs found running (adopted) and leftovers of jobs that were not (cleaned up).</summary>
    void JobsFoundAtStart(int adopted, int leftovers);

    /// <summary>Counts nothing: the actor specs and a daemon with metrics off.</summary>
    public static ILifecycleMetrics None { get; } = new NoMetrics();

    private sealed class NoMetrics : ILifecycleMetrics
    {
        public void StateEntered(LifecycleState? left, LifecycleState entered) { }
        public void PrologAnswered(Outcome outcome, TimeSpan after) { }
        public void TracerEndedAfterReady() { }
        public void LifecycleEnded(LifecycleState? last, JobAnswer answer) { }
        public void LifecycleCrashed(LifecycleState? last) { }
        public void JobsFoundAtStart(int adopted, int leftovers) { }
    }
}
