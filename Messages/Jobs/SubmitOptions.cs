using System.Text.Json.Serialization;

namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// The datacrumbs options a user gave at submit, as a scheduler that has no jobspec to read
/// hands them to the prolog (Slurm: the SPANK plugin's SPANK_DATACRUMBS_ENABLE and
/// SPANK_DATACRUMBS_PROBE_FILE). User input, unchecked: the daemon checks it as it checks a
/// jobspec. <see cref="Enable"/> present and non-empty means the job asked for tracing.
/// </summary>
public sealed record SubmitOptions(string? Enable = null, string? ProbeFile = null)
{
    [JsonIgnore]
    public bool AsksForTracing => !string.IsNullOrEmpty(Enable);
}
