using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// The gate between a user-named probes file and the root tracer: checks the file and
/// returns the path the tracer gets (a root-owned verified copy in the run dir).
/// </summary>
public interface IProbeAdmission
{
    /// <summary>Throws with a message naming the reason when the file is refused.</summary>
    Task<string> AdmitAsync(JobRequest request, JobMetadata metadata, CancellationToken ct);

    /// <summary>Removes whatever <see cref="AdmitAsync"/> left for the job. Idempotent.</summary>
    Task ReleaseAsync(JobId job, CancellationToken ct);
}
