using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metadata;

/// <summary>
/// Picks the metadata source per request: the service wrapper's inline metadata when the
/// request carries it, the jobspec through flux otherwise.
/// </summary>
public sealed class MetadataRouter(IJobMetadataSource inline, IJobMetadataSource flux) : IJobMetadataSource
{
    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct) =>
        request.Inline is not null ? inline.ResolveAsync(request, ct) : flux.ResolveAsync(request, ct);
}
