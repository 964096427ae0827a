namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// How to reach the scheduler of a job, as the prolog's environment told the hook (the scheduler
/// itself is the job id's: <see cref="JobId.Scheduler"/>). For Flux, <see cref="Address"/> is the
/// instance's FLUX_URI and <see cref="OwnerUid"/> its owner (FLUX_OWNER_USERID), as whom the daemon
/// asks it; Slurm has neither (its prolog carries the request itself: <see cref="JobRequest.Submitted"/>).
/// They came from outside and are checked before use.
/// </summary>
public sealed record JobOrigin(string? Address = null, uint? OwnerUid = null);
