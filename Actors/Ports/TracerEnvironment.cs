using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// The variables the tracer gets. Built here, from checked values, so every backend passes
/// the same environment; rendering into a file format is the adapter's business.
/// </summary>
public sealed record TracerEnvironment(IReadOnlyList<KeyValuePair<string, string>> Variables)
{
    // Upstream's four (its datacrumbs_service_run.sh writes exactly these; its unit passes the first
    // three to the runtime as arguments: the runtime itself reads no environment).
    public const string ProbeFileKey = "DATACRUMBS_PROBE_FILE";
    public const string UserKey = "DATACRUMBS_USER";
    public const string ServiceRunIdKey = "DATACRUMBS_SERVICE_RUN_ID";
    public const string LogDirKey = "DATACRUMBS_LOG_DIR";
    // Ours, for operators and for adopting tracers after a daemon restart.
    public const string JobIdKey = "DATACRUMBS_JOB_ID";
    public const string UidKey = "DATACRUMBS_UID";
    public const string ReadyFileKey = "DATACRUMBS_READY_FILE";
    public const string RunIdKey = "DATACRUMBS_RUN_ID";

    /// <summary>The runtime's default log dir (DATACRUMBS_LOG_DIR, built in as /tmp); our unit logs to the journal instead.</summary>
    public const string DefaultLogDir = "/tmp";

    public static TracerEnvironment For(JobRequest request, JobMetadata metadata, string admittedProbeFile, string readyFilePath) =>
        new([
            new(ProbeFileKey, admittedProbeFile),
            new(UserKey, metadata.UserName),
            new(ServiceRunIdKey, request.Job.ToString()),
            new(LogDirKey, DefaultLogDir),
            new(JobIdKey, request.Job.ToString()),
            new(UidKey, request.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ReadyFileKey, readyFilePath),
            new(RunIdKey, request.Job.ToString()),
        ]);

    public string? this[string key] => Variables.FirstOrDefault(v => v.Key == key).Value;
}
