using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Flux;

/// <summary>Metadata the service wrapper fabricated and sent with the request (placeholder until the flux source lands).</summary>
public sealed class InlineMetadataSource : IJobMetadataSource
{
    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct) =>
        Task.FromResult(new JobMetadata(request.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Inline));
}
