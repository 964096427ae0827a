namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// Which scheduler a job belongs to and how to reach it, as the prolog's environment told the
/// hook. <see cref="Address"/> and <see cref="OwnerUid"/> mean what that scheduler says: for Flux
/// the instance's FLUX_URI and its owner (FLUX_OWNER_USERID), as whom the daemon asks it; Slurm
/// has neither (its prolog carries the request itself: <see cref="JobRequest.Submitted"/>). They
/// came from outside and are checked before use.
/// </summary>
public sealed record JobOrigin(JobScheduler Scheduler, string? Address = null, uint? OwnerUid = null);
