namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// Every name derived from a job id, in one place, so the daemon, the unit files and the
/// operators' tools agree. All use the canonical f58plain form, which is a valid systemd
/// instance name as it is (letters and digits only).
/// </summary>
public static class JobNames
{
    public const string UnitPrefix = "datacrumbs@";
    public const string UnitSuffix = ".service";
    public const string UnitPattern = "datacrumbs@*.service";
    public const string FilePrefix = "datacrumbs-";
    public const string EnvSuffix = ".env";
    public const string ReadySuffix = ".ready";
    public const string ProbeCopySuffix = ".probes.json.gz";

    public static string Unit(JobId id) => UnitPrefix + id + UnitSuffix;
    public static string EnvFile(JobId id) => FilePrefix + id + EnvSuffix;
    public static string ReadyFile(JobId id) => FilePrefix + id + ReadySuffix;
    public static string ProbeCopy(JobId id) => FilePrefix + id + ProbeCopySuffix;

    /// <summary>Recovers the job from a run-dir file name such as <c>datacrumbs-fELtY71.env</c>.</summary>
    public static bool TryParseFile(string fileName, string suffix, out JobId id)
    {
        id = default;
        if (!fileName.StartsWith(FilePrefix, StringComparison.Ordinal) || !fileName.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        var text = fileName[FilePrefix.Length..^suffix.Length];
        return JobId.TryParse(text, out id, out _) && id.ToString() == text;
    }

    /// <summary>The job any per-job run-dir file belongs to, whatever its suffix (for leftovers after a restart).</summary>
    public static bool TryParseAnyFile(string fileName, out JobId id)
    {
        id = default;
        var dot = fileName.IndexOf('.');
        return dot > FilePrefix.Length && TryParseFile(fileName, fileName[dot..], out id);
    }

    /// <summary>Recovers the job from a unit name such as <c>datacrumbs@fELtY71.service</c>.</summary>
    public static bool TryParseUnit(string unitName, out JobId id)
    {
        id = default;
        if (!unitName.StartsWith(UnitPrefix, StringComparison.Ordinal) || !unitName.EndsWith(UnitSuffix, StringComparison.Ordinal))
            return false;
        var text = unitName[UnitPrefix.Length..^UnitSuffix.Length];
        return JobId.TryParse(text, out id, out _) && id.ToString() == text;
    }
}
