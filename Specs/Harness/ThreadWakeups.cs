namespace Datacrumbs.Specs.Harness;

/// <summary>
/// How often a process's threads were switched in: the kernel's voluntary and involuntary
/// context switch counters of every thread (/proc/PID/task/TID/status). A thread that sleeps in
/// the kernel adds nothing, however loaded the machine, so the difference of two snapshots counts
/// wakeups, not time. Threads are told apart by id and start time, so a thread that started or
/// ended between the snapshots (an id the kernel reused included) is left out of the difference.
/// </summary>
public sealed class ThreadWakeups
{
    private readonly Dictionary<(int Tid, long StartTime), (string Name, long Switches)> _threads;

    private ThreadWakeups(Dictionary<(int, long), (string, long)> threads) => _threads = threads;

    public static ThreadWakeups Of(int pid)
    {
        var threads = new Dictionary<(int, long), (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var tid = int.Parse(Path.GetFileName(dir));
                // Field 22 of stat (starttime); the name in field 2 may hold spaces, so count from its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var startTime = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
                long switches = 0;
                string name = "";
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("Name:", StringComparison.Ordinal)) name = line[5..].Trim();
                    else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                             || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        switches += long.Parse(line[(line.IndexOf(':') + 1)..]);
                }
                threads[(tid, startTime)] = (name, switches);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the thread ended while we read it: it was not alive the whole window
            }
        }
        return new ThreadWakeups(threads);
    }

    /// <summary>Wakeups between <paramref name="before"/> and this snapshot, per thread alive in both.</summary>
    public IReadOnlyList<(int Tid, string Name, long Wakeups)> Since(ThreadWakeups before) =>
        _threads
            .Where(t => before._threads.ContainsKey(t.Key))
            .Select(t => (t.Key.Tid, t.Value.Name, t.Value.Switches - before._threads[t.Key].Switches))
            .ToList();
}
