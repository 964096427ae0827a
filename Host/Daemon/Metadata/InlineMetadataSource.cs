using Datacrumbs.Daemon.Probes;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Metadata;

/// <summary>
/// The `inline` metadata source: the service wrapper sent the tracing request itself
/// (<see cref="JobRequest.Inline"/>), as the CLI plugin would have put it in the jobspec.
/// Its shape is checked by the same rules as a jobspec's.
/// </summary>
public sealed class InlineMetadataSource(UserDirectory users) : IJobMetadataSource
{
    public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var inline = request.Inline
            ?? throw new JobMetadataException($"job {request.Job}: no inline metadata in the request");
        if (!inline.IsEnabled) return Task.FromResult(new JobMetadata(users.NameOf(request.Uid), null));
        if (ProbeFilePath.Problem(inline.ProbeFile) is { } problem)
            throw new JobMetadataException($"job {request.Job}: probe_file {problem}: '{UntrustedText.Printable(inline.ProbeFile)}'");
        return Task.FromResult(new JobMetadata(users.NameOf(request.Uid), new TracingRequest("yes", inline.ProbeFile)));
    }
}
