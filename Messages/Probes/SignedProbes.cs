using System.Globalization;
using System.Text.Json;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The document inside a signed probes file (<c>probes.json.gz</c>): who it was issued to, for how long,
/// with which key, DataCrumbs' probe list as the signer saw it, and the signature over all of that.
/// </summary>
public sealed record SignedProbes
{
    public const int CurrentFormat = 1;
    /// <summary>Timestamps are UTC to the second, written exactly like <c>2025-06-01T12:00:00Z</c>.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public required int Format { get; init; }
    /// <summary>The user the file was issued to, as the signer saw it through SO_PEERCRED.</summary>
    public required uint Uid { get; init; }
    public required string User { get; init; }
    public required string IssuedAt { get; init; }
    public required string ExpiresAt { get; init; }
    public required string KeyId { get; init; }
    /// <summary>DataCrumbs' probe list (an array), every field kept, unknown ones included.</summary>
    public required JsonElement Probes { get; init; }
    /// <summary>Base64 HMAC-SHA256 over the canonical form of everything else; absent while being signed.</summary>
    public string? Signature { get; init; }

    public static string FormatTimestamp(DateTimeOffset t) =>
        t.ToUniversalTime().ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static bool TryParseTimestamp(string text, out DateTimeOffset t) =>
        DateTimeOffset.TryParseExact(text, TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);
}
