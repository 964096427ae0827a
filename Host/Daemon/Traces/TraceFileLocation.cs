using System.Globalization;
using Datacrumbs.Actors.Ports;

namespace Datacrumbs.Daemon.Traces;

/// <summary>
/// Where the DataCrumbs runtime writes a job's trace, by its own rule (its derive_configurations):
/// <c>&lt;trace dir&gt;/trace-&lt;user&gt;-&lt;run-id&gt;-&lt;host&gt;-&lt;stem&gt;.pfw.gz</c>, the trace dir being its
/// DATACRUMBS_TRACE_DIR_PATTERN with %YY% (two digits), %MM% and %DD% taken from the local
/// date when it started, the host its gethostname(), and the stem that of the probe file it was
/// given (std::filesystem's: <c>x.probes.json.gz</c> gives <c>x.probes.json</c>).
/// </summary>
public static class TraceFileLocation
{
    /// <summary>The runtime's built-in DATACRUMBS_TRACE_DIR_PATTERN (its trace dir defaults to /tmp).</summary>
    public const string DefaultDirPattern = "/tmp/%YY%/%MM%/%DD%";

    /// <summary>This node's name as the runtime takes it: gethostname(), not cut at the first dot as Environment.MachineName is.</summary>
    public static readonly string Host = System.Net.Dns.GetHostName();

    public static string PathOf(string dirPattern, string host, TraceOrigin trace)
    {
        var local = TimeZoneInfo.ConvertTime(trace.StartedAt, TimeZoneInfo.Local);
        var dir = dirPattern
            .Replace("%YY%", (local.Year % 100).ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%MM%", local.Month.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%DD%", local.Day.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return Path.Combine(dir, $"trace-{trace.User}-{trace.RunId}-{host}-{Stem(trace.ProbeFile)}.pfw.gz");
    }

    /// <summary>std::filesystem::path::stem: the file name without its last extension; a name that only starts with a dot keeps it.</summary>
    public static string Stem(string path)
    {
        var name = Path.GetFileName(path);
        if (name is "." or "..") return name;
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? name : name[..dot];
    }
}
