using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.SlurmJobs;

/// <summary>
/// The real datacrumbsctl called as the Slurm prolog and epilog hooks call it (`--scheduler slurm`),
/// with the environment slurmd gives them: SLURM_JOB_ID, SLURM_JOB_UID, and the SPANK plugin's
/// SPANK_DATACRUMBS_ENABLE and SPANK_DATACRUMBS_PROBE_FILE when the user asked. No Flux variable.
/// </summary>
public static class SlurmHook
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private static long s_next = 200_000 + System.Environment.ProcessId % 1000 * 100;

    /// <summary>A Slurm job id no other spec of this run uses.</summary>
    public static JobId NewJob() => JobId.Slurm((uint)Interlocked.Increment(ref s_next));

    /// <param name="jobId">SLURM_JOB_ID as slurmd sets it (decimal), or something hostile.</param>
    /// <param name="enable">SPANK_DATACRUMBS_ENABLE; null: the job did not ask (the variable is unset).</param>
    public static Dictionary<string, string?> Environment(string socket, string jobId, string uid, string? enable, string? probeFile) => new()
    {
        ["DATACRUMBS_SOCKET"] = socket,
        ["SLURM_JOB_ID"] = jobId,
        ["SLURM_JOB_UID"] = uid,
        ["SLURM_SCRIPT_CONTEXT"] = "prolog_slurmd",
        ["SPANK_DATACRUMBS_ENABLE"] = enable,
        ["SPANK_DATACRUMBS_PROBE_FILE"] = probeFile,
        ["FLUX_JOB_ID"] = null,
        ["FLUX_JOB_USERID"] = null,
        ["FLUX_URI"] = null,
        ["FLUX_OWNER_USERID"] = null,
    };

    /// <summary>A traced job of <paramref name="user"/> with this probe file.</summary>
    public static Dictionary<string, string?> Traced(string socket, JobId job, TestUser user, string probeFile) =>
        Environment(socket, job.Format(JobIdFormat.Decimal), user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), "1", probeFile);

    public static Task<Run.Result> PrologAsync(Dictionary<string, string?> environment, params string[] options) =>
        Run.CommandAsync(DaemonProcess.Ctl, ["prolog", "--scheduler", "slurm", .. options], Generous, environment);

    public static Task<Run.Result> EpilogAsync(Dictionary<string, string?> environment, params string[] options) =>
        Run.CommandAsync(DaemonProcess.Ctl, ["epilog", "--scheduler", "slurm", .. options], Generous, environment);
}
