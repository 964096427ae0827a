using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metadata;

/// <summary>
/// Picks the metadata source per request: the service wrapper's inline metadata when the
/// request carries it, otherwise the source of the job's scheduler (its id's, <see cref="JobId.Scheduler"/>).
/// A new scheduler is one more entry here, from the composition root.
/// </summary>
public sealed class MetadataRouter(IJobMetadataSource inline, IReadOnlyDictionary<JobScheduler, IJobMetadataSource> schedulers) : IJobMetadataSource
{
    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        if (request.Inline is not null) return inline.ResolveAsync(request, ct);
        return schedulers.TryGetValue(request.Job.Scheduler, out var source)
            ? source.ResolveAsync(request, ct)
            : throw new JobMetadataException($"job {request.Job}: this daemon has no metadata source for {request.Job.Scheduler} jobs");
    }
}
