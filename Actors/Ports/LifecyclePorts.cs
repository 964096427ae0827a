namespace Datacrumbs.Actors.Ports;

/// <summary>
/// Everything a lifecycle talks through: real adapters in the daemon, in-memory fakes in the specs.
/// <paramref name="Notices"/> is optional: without it a tracer's death after ready is only logged.
/// </summary>
public sealed record LifecyclePorts(
    IJobMetadataSource Metadata,
    IProbeAdmission Probes,
    IEnvFiles EnvFiles,
    IUnitBackend Units,
    IReadyFiles ReadyFiles,
    IJobNotices? Notices = null);
