using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>The per-job environment file the unit (or the process backend) reads.</summary>
public interface IEnvFiles
{
    /// <summary>Writes atomically; throws when a value could not be written safely.</summary>
    Task WriteAsync(JobId job, TracerEnvironment environment, CancellationToken ct);

    /// <summary>Idempotent.</summary>
    Task RemoveAsync(JobId job, CancellationToken ct);
}
