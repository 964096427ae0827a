using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Actors.Ports;

/// <summary>
/// The variables the tracer gets. Built here, from checked values, so every backend passes
/// the same environment; rendering into a file format is the adapter's business.
/// </summary>
public sealed record TracerEnvironment(IReadOnlyList<KeyValuePair<string, string>> Variables)
{
    public const string JobIdKey = "DATACRUMBS_JOB_ID";
    public const string UserKey = "DATACRUMBS_USER";
    public const string UidKey = "DATACRUMBS_UID";
    public const string ProbeFileKey = "DATACRUMBS_PROBE_FILE";
    public const string ReadyFileKey = "DATACRUMBS_READY_FILE";
    public const string RunIdKey = "DATACRUMBS_RUN_ID";

    public static TracerEnvironment For(JobRequest request, JobMetadata metadata, string admittedProbeFile, string readyFilePath) =>
        new([
            new(JobIdKey, request.Job.ToString()),
            new(UserKey, metadata.UserName),
            new(UidKey, request.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ProbeFileKey, admittedProbeFile),
            new(ReadyFileKey, readyFilePath),
            new(RunIdKey, request.Job.ToString()),
        ]);

    public string? this[string key] => Variables.FirstOrDefault(v => v.Key == key).Value;
}
