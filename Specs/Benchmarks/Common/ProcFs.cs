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

    /// <summary>
    /// Context switches (voluntary and involuntary) of each thread, keyed by thread id and start
    /// time so that a reused id is a different thread: the wakeups of a process, counted as issue 16 does.
    /// </summary>
    public static Dictionary<(int Tid, long Start), long> ThreadSwitches(int pid)
    {
        var threads = new Dictionary<(int, long), long>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var start = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture);
                var switches = File.ReadLines(Path.Combine(dir, "status"))
                    .Where(line => line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    .Sum(line => long.Parse(line[(line.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
                threads[(int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture), start)] = switches;
            }
            catch (IOException) { } // the thread ended while we read it
        }
        return threads;
    }

    /// <summary>Wakeups per second of a process over a window, summed over the threads alive the whole window.</summary>
    public static async Task<double> WakeupsPerSecondAsync(int pid, TimeSpan window)
    {
        var before = ThreadSwitches(pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(window); // the measurement window
        var after = ThreadSwitches(pid);
        var seconds = clock.Elapsed.TotalSeconds;
        return after.Where(t => before.ContainsKey(t.Key)).Sum(t => t.Value - before[t.Key]) / seconds;
    }

    public static string Text(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : "";
}
