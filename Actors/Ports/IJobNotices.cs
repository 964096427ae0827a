using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// Tells a running job's user what happened to its tracing after the prolog answered (the
/// tracer died after it was ready): under Flux a non-fatal job exception, which the submitting
/// terminal and `flux job eventlog` show. The log and `status` say it too; this reaches the user.
/// It also shows the job's tracing state (traced, untraced and why, where the trace is).
/// </summary>
public interface IJobNotices
{
    /// <summary>
    /// Bounded in time by the implementation and never throws: a notice that could not be
    /// given is logged. Callers do not wait for it.
    /// </summary>
    Task TellUserAsync(JobRequest request, string message);

    /// <summary>
    /// Shows the job's tracing on this node where the user looks for it (under Flux the job memo
    /// <c>datacrumbs</c>, which <c>flux jobs</c> shows). Shown in the order called for one job;
    /// bounded in time, never throws. Jobs that did not ask for tracing are never shown.
    /// </summary>
    Task ShowAsync(JobRequest request, TracingShown shown);
}
