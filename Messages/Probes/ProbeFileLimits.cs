namespace Datacrumbs.Messages.Probes;

/// <summary>Bounds on what a reader of probes files accepts: every size is checked before it is trusted.</summary>
public sealed record ProbeFileLimits
{
    /// <summary>The file as stored (gzip or plain). A probe list of thousands of functions compresses to well under this.</summary>
    public long MaxFileBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>
    /// The JSON after decompression, which must all be parsed before the checksum can be checked (the
    /// HMAC is over json-c's re-serialization, not over the file's bytes, so nothing can be checked on
    /// the raw bytes). 2 MiB: twice what our signer signs by default (policy.max_document_bytes, 1 MiB),
    /// room for an indented file of upstream's tools; beyond it the file is refused as a gzip bomb before
    /// any parsing. A site whose signer signs more raises both.
    /// </summary>
    public int MaxDecompressedBytes { get; init; } = 2 * 1024 * 1024;
    /// <summary>
    /// JSON values (every string, number, array, object) in the document. Parsing builds a tree of tens
    /// of bytes a value from as little as three bytes of text (<c>[],</c>): this bounds what an unverified
    /// document costs. 262,144 is 16 times the runtime's 16,384 functions a run.
    /// </summary>
    public int MaxJsonValues { get; init; } = 256 * 1024;
    /// <summary>How far a signer's clock may run ahead of a node's before issued_at counts as "in the future".</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public static ProbeFileLimits Default { get; } = new();

    /// <summary>"16 MiB" for round sizes, "1234 bytes" otherwise: the unit an admin would write in the config.</summary>
    public static string Describe(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}
