namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// A prolog as the daemon received it: the job, the submitting user (from FLUX_JOB_USERID),
/// where to ask for its metadata (its scheduler, <see cref="Origin"/>), or the metadata itself
/// when the service wrapper fabricated it. Everything here came from outside and is checked
/// before use.
/// </summary>
public sealed record JobRequest(JobId Job, uint Uid, JobOrigin? Origin = null, TracingRequest? Inline = null);
