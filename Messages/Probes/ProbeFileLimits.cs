namespace Datacrumbs.Messages.Probes;

/// <summary>Bounds on what a reader of probes files accepts: every size is checked before it is trusted.</summary>
public sealed record ProbeFileLimits
{
    /// <summary>The file as stored (gzip or plain). A probe list of thousands of functions compresses to well under this.</summary>
    public long MaxFileBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>
    /// The JSON after decompression, which must all be parsed before the checksum can be checked (the
    /// HMAC is over json-c's re-serialization, not over the file's bytes). 8 MiB is what upstream's
    /// probe manager accepts as a whole signing request, so nothing it signs is larger; beyond it the
    /// file is refused as a gzip bomb before any parsing.
    /// </summary>
    public int MaxDecompressedBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>How far a signer's clock may run ahead of a node's before issued_at counts as "in the future".</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public static ProbeFileLimits Default { get; } = new();

    /// <summary>"16 MiB" for round sizes, "1234 bytes" otherwise: the unit an admin would write in the config.</summary>
    public static string Describe(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}
