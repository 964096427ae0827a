using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>Start tracing for a job. The sender gets a <see cref="JobAnswer"/>.</summary>
public sealed record Prolog(JobRequest Request);

/// <summary>Stop tracing for a job and clean up. The sender gets a <see cref="JobAnswer"/>.</summary>
public sealed record Epilog(JobId Job);

/// <summary>Sent by a lifecycle to its parent on every state change (feeds `status`).</summary>
/// <summary>Where a job is, for `status`; <paramref name="Unit"/> is its systemd unit, null where there is none.</summary>
public sealed record JobStateChanged(JobId Job, uint Uid, string User, LifecycleState State, DateTimeOffset Since, TimeSpan? ReadyAfter, string? Error,
    string? Unit = null);

/// <summary>Sent by a lifecycle to its parent just before it stops, with its final answer.</summary>
public sealed record JobEnded(JobId Job, JobAnswer Answer);
