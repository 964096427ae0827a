using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>The ready file the tracer creates once its probes are attached.</summary>
public interface IReadyFiles
{
    /// <summary>Where the tracer must create the job's ready file (given to it in the env file).</summary>
    string PathOf(JobId job);

    /// <summary>Completes when the job's ready file exists (event-driven, never polling); cancelled by the token.</summary>
    Task WaitAsync(JobId job, CancellationToken ct);

    /// <summary>Idempotent.</summary>
    Task RemoveAsync(JobId job, CancellationToken ct);
}
