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

    public static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    public static string Text(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : "";
}
