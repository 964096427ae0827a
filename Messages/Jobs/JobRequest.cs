namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// A prolog as the daemon received it: the job, the submitting user (FLUX_JOB_USERID,
/// SLURM_JOB_UID), where to ask for its metadata (its scheduler, <see cref="Origin"/>), the
/// options the user gave at submit when the scheduler's prolog carries them (Slurm,
/// <see cref="Submitted"/>), or the metadata itself when the service wrapper fabricated it.
/// Everything here came from outside and is checked before use.
/// </summary>
public sealed record JobRequest(JobId Job, uint Uid, JobOrigin? Origin = null, TracingRequest? Inline = null, SubmitOptions? Submitted = null);
