using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// Where a job's tracing request comes from: the jobspec through `flux job info` (the `flux`
/// source), or the metadata the service wrapper fabricated (the `inline` source).
/// </summary>
public interface IJobMetadataSource
{
    /// <summary>Throws with a message naming the problem when the metadata is missing or malformed.</summary>
    Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct);
}

/// <summary>The job's user name and its tracing request; <see cref="Tracing"/> is null when none was made.</summary>
public sealed record JobMetadata(string UserName, TracingRequest? Tracing);
