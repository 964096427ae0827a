using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Lifecycle;

/// <summary>
/// A job whose tracer (or env file) the daemon found at start, left by an earlier run of itself.
/// <see cref="WasReady"/>: its ready file was there, so the tracer had attached before the restart;
/// otherwise the adopted lifecycle still waits for it (a restart must not turn "not yet ready" into "ready").
/// </summary>
public sealed record AdoptedJob(JobId Job, uint Uid, string User, bool WasReady = true);
