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
    /// <summary>Where a Slurm prolog finds <see cref="Enable"/>: the plugin's DATACRUMBS_ENABLE, as slurmd prefixes it.</summary>
    public const string SlurmEnableVariable = "SPANK_DATACRUMBS_ENABLE";
    /// <summary>Where a Slurm prolog finds <see cref="ProbeFile"/>.</summary>
    public const string SlurmProbeFileVariable = "SPANK_DATACRUMBS_PROBE_FILE";

    [JsonIgnore]
    public bool AsksForTracing => !string.IsNullOrEmpty(Enable);
}
