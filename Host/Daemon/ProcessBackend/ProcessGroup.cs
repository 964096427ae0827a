using System.Globalization;

namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>The live members of a process group, found in /proc (the kernel offers no other listing).</summary>
public static class ProcessGroup
{
    public static IReadOnlyList<ProcessIdentity> Members(int group)
    {
        var members = new List<ProcessIdentity>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // state, ppid, pgrp, ...
                if (fields[2] == group.ToString(CultureInfo.InvariantCulture) && ProcessIdentity.Of(pid) is { } member)
                    members.Add(member);
            }
            catch (IOException) { } // it exited while we looked
        }
        return members;
    }

    /// <summary>Completes when every member that is alive now has exited.</summary>
    public static Task WaitEmptyAsync(int group, CancellationToken ct) =>
        Task.WhenAll(Members(group).Select(member => ProcessExit.WaitAsync(member, ct)));
}
