namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// A prolog as the daemon received it: the job, the submitting user (from FLUX_JOB_USERID),
/// where to ask for its metadata (FLUX_URI), or the metadata itself when the service wrapper
/// fabricated it, and the instance owner (FLUX_OWNER_USERID) as whom the jobspec is read.
/// Everything here came from outside and is checked before use.
/// </summary>
public sealed record JobRequest(JobId Job, uint Uid, string? FluxUri = null, TracingRequest? Inline = null, uint? FluxOwnerUid = null);
