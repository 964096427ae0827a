namespace Datacrumbs.Messages.Probes;

/// <summary>Bounds on what a reader of probes files accepts: every size is checked before it is trusted.</summary>
public sealed record ProbeFileLimits
{
    /// <summary>The gzip file as stored. A probe list of thousands of functions compresses to well under this.</summary>
    public long MaxFileBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>The JSON after decompression; beyond it the file is refused as a gzip bomb.</summary>
    public int MaxDecompressedBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>How far a signer's clock may run ahead of a node's before issued_at counts as "in the future".</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public static ProbeFileLimits Default { get; } = new();

    /// <summary>"16 MiB" for round sizes, "1234 bytes" otherwise: the unit an admin would write in the config.</summary>
    public static string Describe(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}
