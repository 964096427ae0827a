namespace Datacrumbs.Daemon.Probes;

/// <summary>The checks every probe path passes before the daemon opens anything.</summary>
public static class ProbePath
{
    public const int MaxLength = 4096;

    public static void Check(string? path)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("probe file path is empty");
        if (path.Length > MaxLength) throw new ArgumentException($"probe file path is {path.Length} characters long; the limit is {MaxLength}");
        if (path.Any(char.IsControl))
            throw new ArgumentException($"probe file path '{Messages.Jobs.JobId.Printable(path)}' contains control characters");
        if (!Path.IsPathFullyQualified(path)) throw new ArgumentException($"probe file path '{path}' is not absolute");
    }
}
