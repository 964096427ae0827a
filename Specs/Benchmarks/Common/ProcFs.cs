namespace Datacrumbs.Benchmarks.Common;

/// <summary>A process's resident memory and open file descriptors, from /proc.</summary>
public static class ProcFs
{
    public static double RssMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        throw new InvalidOperationException($"no VmRSS for pid {pid}");
    }

    /// <summary>CPU time (user + system) a process has used so far, in ms: robust to other load on the machine.</summary>
    public static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) "
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return ticks * 1000.0 / 100; // USER_HZ is 100 on Linux
    }

    public static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>What a process's open fds are, counted by kind: "socket 12, pipe 4, /dev/null 2, ...".</summary>
    public static string FdSummary(int pid)
    {
        var kinds = new Dictionary<string, int>();
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string target;
            try { target = new FileInfo(fd).LinkTarget ?? "?"; }
            catch (IOException) { continue; }
            var kind = target.EndsWith(".dll", StringComparison.Ordinal) ? "assemblies (*.dll)"
                : target.Contains(':') ? target.Split(':')[0] + (target.StartsWith("anon_inode", StringComparison.Ordinal) ? ":" + target.Split(':')[1] : "") : target;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        return string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value}"));
    }

    public static string Text(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : "";
}
