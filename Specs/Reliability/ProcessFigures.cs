using System.Globalization;

namespace Datacrumbs.Specs.Reliability;

/// <summary>Resident memory, threads and open file descriptors of a process, from /proc.</summary>
public sealed record ProcessFigures(long RssKiB, int Threads, int FileDescriptors)
{
    public static ProcessFigures Of(int pid)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                threads = int.Parse(line.Split('\t', ' ').Last(s => s.Length > 0), CultureInfo.InvariantCulture);
        }
        return new ProcessFigures(rss, threads, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);
    }

    public override string ToString() => $"RSS {RssKiB / 1024.0:0.0} MiB, {Threads} threads, {FileDescriptors} fds";
}
