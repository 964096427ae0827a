using System.Globalization;

namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>
/// A process named by pid and start time (clock ticks since boot, /proc/PID/stat field 22),
/// so that a pid reused by another process after a daemon restart is never signalled.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>The process with this pid now, or null when there is none (or only its zombie, which is as good as gone).</summary>
    public static ProcessIdentity? Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (rest[0] is "Z" or "X") return null; // field 3, the state: exited, not yet reaped by its new parent
            return new ProcessIdentity(pid, ulong.Parse(rest[19], CultureInfo.InvariantCulture)); // field 22
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public bool IsAlive => Of(Pid) is { } now && now.StartTime == StartTime;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Pid} {StartTime}");

    public static bool TryParse(string text, out ProcessIdentity identity)
    {
        identity = default;
        var parts = text.Trim().Split(' ');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return false;
        identity = new ProcessIdentity(pid, start);
        return true;
    }
}
