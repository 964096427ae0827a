namespace Datacrumbs.Actors.Ports;

/// <summary>What a job's user is shown of its tracing on this node.</summary>
public enum ShownState
{
    /// <summary>The tracer is ready: the job is traced here.</summary>
    Traced,
    /// <summary>Tracing could not start; the failure policy decides whether the job runs untraced or is failed.</summary>
    Failed,
    /// <summary>The tracer ended while the job ran: the job runs on untraced.</summary>
    EndedAfterReady,
    /// <summary>The epilog stopped a tracer that ran to the end: where its trace is.</summary>
    Stopped,
}

/// <summary>
/// One thing to show the job's user (<see cref="IJobNotices.ShowAsync"/>): the state, why (for
/// failures), and what names the runtime's trace file, when the daemon started the tracer.
/// </summary>
public sealed record TracingShown(ShownState State, string? Cause = null, TraceOrigin? Trace = null);

/// <summary>
/// What the runtime names its trace after: its own arguments (user, run id, the probe file it was
/// given, whose stem ends the name) and when it started (its trace directory pattern takes the
/// date then, in local time).
/// </summary>
public sealed record TraceOrigin(string User, string RunId, string ProbeFile, DateTimeOffset StartedAt)
{
    public static TraceOrigin? Of(TracerEnvironment? environment, DateTimeOffset startedAt) =>
        environment?[TracerEnvironment.UserKey] is { } user
        && environment[TracerEnvironment.ServiceRunIdKey] is { } runId
        && environment[TracerEnvironment.ProbeFileKey] is { } probeFile
            ? new TraceOrigin(user, runId, probeFile, startedAt)
            : null;
}
