using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// The prolog and epilog of a Slurm job (<c>--scheduler slurm</c>), from what slurmd gives the
/// root Prolog/Epilog: SLURM_JOB_ID and SLURM_JOB_UID (Slurm's, trusted), and the SPANK plugin's
/// SPANK_DATACRUMBS_ENABLE and SPANK_DATACRUMBS_PROBE_FILE (the user's options, checked by the
/// daemon). The job id goes to the daemon in its canonical form (s12345), which tells it the
/// job is Slurm's. A job that did not ask costs nothing: the client answers it without the daemon.
/// </summary>
public static class SlurmHookRequests
{
    public const string JobIdVariable = "SLURM_JOB_ID";
    public const string UidVariable = "SLURM_JOB_UID";
    public const string EnableVariable = SubmitOptions.SlurmEnableVariable;
    public const string ProbeFileVariable = SubmitOptions.SlurmProbeFileVariable;

    /// <summary>The job from --job, else SLURM_JOB_ID: decimal (as Slurm gives it) or s12345.</summary>
    public static bool TryReadJob(string? jobText, out JobId job, [NotNullWhen(false)] out string? error)
    {
        job = default;
        var text = jobText ?? Environment.GetEnvironmentVariable(JobIdVariable);
        if (string.IsNullOrEmpty(text)) { error = $"no job: pass --job or set {JobIdVariable}"; return false; }
        if (!JobId.TryParseSlurm(text, out job, out var problem)) { error = $"{JobIdVariable} or --job: {problem}"; return false; }
        error = null;
        return true;
    }

    /// <summary>The job's user from --uid, else SLURM_JOB_UID.</summary>
    public static bool TryReadUid(string? uidText, out uint uid, [NotNullWhen(false)] out string? error)
    {
        var text = uidText ?? Environment.GetEnvironmentVariable(UidVariable);
        if (!string.IsNullOrEmpty(text) && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uid)) { error = null; return true; }
        uid = 0;
        error = text is null or ""
            ? $"no valid job user: pass --uid or set {UidVariable} to a numeric uid"
            : $"no valid job user: {UidVariable} or --uid must be a numeric uid, not '{UntrustedText.Printable(text)}'";
        return false;
    }

    /// <summary>The user's options from --enable and --probe-file, else the SPANK plugin's variables.</summary>
    public static SubmitOptions ReadOptions(string? enable, string? probeFile) => new(
        enable ?? Environment.GetEnvironmentVariable(EnableVariable),
        probeFile ?? Environment.GetEnvironmentVariable(ProbeFileVariable));

    public static ControlRequest Prolog(JobId job, uint uid, SubmitOptions asked) =>
        new() { Op = Operation.Prolog, Job = job.ToString(), Uid = uid, Submitted = asked };

    public static ControlRequest Epilog(JobId job) => new() { Op = Operation.Epilog, Job = job.ToString() };
}
