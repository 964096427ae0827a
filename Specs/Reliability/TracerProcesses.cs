namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// The stand-in tracers (and everything they forked) of one spec, found through the environment
/// they inherit: every one carries STANDIN_CONTROL_DIR=&lt;the spec's control dir&gt;.
/// Zombies (exited, waiting to be reaped by init) do not count.
/// </summary>
public static class TracerProcesses
{
    /// <param name="controlDir">The control dir as the tracers see it (inside a sandbox: the path there).</param>
    /// <param name="inPidNamespaceOf">Only processes in the pid namespace of this (host) pid, e.g. a sandbox's
    /// systemd: sandboxes of other spec classes use the same control dir path.</param>
    public static IReadOnlyList<int> Of(string controlDir, int? inPidNamespaceOf = null)
    {
        var marker = $"STANDIN_CONTROL_DIR={controlDir}";
        var pidNamespace = inPidNamespaceOf is { } owner ? PidNamespace(owner) ?? throw new InvalidOperationException($"process {owner} is gone") : null;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !IsAlive(pid)) continue;
            if (pidNamespace is not null && PidNamespace(pid) != pidNamespace) continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains(marker)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // gone meanwhile
        }
        return found;
    }

    private static string? PidNamespace(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; } // gone meanwhile
    }

    /// <summary>For failure messages: what a left-over process is, whose job, and whether its group leader lives.</summary>
    public static string Describe(int pid)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            var job = File.ReadAllText($"/proc/{pid}/environ").Split('\0').FirstOrDefault(v => v.StartsWith("DATACRUMBS_JOB_ID=")) ?? "no job id";
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var group = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2]);
            return $"pid {pid} ({args}; {job}; group {group}, leader {(IsAlive(group) ? "alive" : "gone")})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"pid {pid} (gone)"; }
    }

    /// <summary>Running: a zombie (state Z) has exited.</summary>
    public static bool IsAlive(int pid) => Datacrumbs.Daemon.ProcessBackend.ProcessIdentity.Of(pid) is not null;

    /// <summary>Waits (bounded) for a process to exit, through a pidfd, not by polling /proc.</summary>
    public static async Task WaitExitAsync(int pid, double seconds = 30)
    {
        if (Datacrumbs.Daemon.ProcessBackend.ProcessIdentity.Of(pid) is not { } identity) return;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await Datacrumbs.Daemon.ProcessBackend.ProcessExit.WaitAsync(identity, deadline.Token);
    }
}
