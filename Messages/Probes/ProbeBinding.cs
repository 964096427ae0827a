using Datacrumbs.Messages.Probes.JsonC;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// Who a probes document is for and how long, read from its <c>summary</c> (upstream's schema 2:
/// <c>uid</c> and <c>expires_at</c> as integers, <c>schema_version</c> "2"; ours adds <c>user</c> and
/// <c>issued_at</c>). All of it is inside the checksum. Null where the document does not say.
/// </summary>
public sealed record ProbeBinding(uint? Uid, string? User, string? SchemaVersion, long? IssuedAt, long? ExpiresAt)
{
    public const string SchemaVersionValue = "2";

    /// <summary>Reads what is there without judging it; <paramref name="problem"/> names the first member of the wrong type.</summary>
    public static ProbeBinding From(JsonCObject summary, out string? problem)
    {
        problem = null;
        uint? uid = null;
        switch (summary["uid"])
        {
            case null: break;
            case JsonCInteger { AsInt64: >= 0 and <= uint.MaxValue } n: uid = (uint)n.AsInt64!.Value; break;
            default: problem = "summary.uid is not an integer uid"; break;
        }
        string? user = null, schema = null;
        switch (summary["user"])
        {
            case null: break;
            case JsonCString s: user = s.Value; break;
            default: problem ??= "summary.user is not a string"; break;
        }
        switch (summary["schema_version"])
        {
            case null: break;
            case JsonCString s: schema = s.Value; break;
            default: problem ??= "summary.schema_version is not a string"; break;
        }
        return new ProbeBinding(uid, user, schema, Epoch(summary, "issued_at", ref problem), Epoch(summary, "expires_at", ref problem));
    }

    private static long? Epoch(JsonCObject summary, string name, ref string? problem)
    {
        switch (summary[name])
        {
            case null: return null;
            case JsonCInteger { AsInt64: { } seconds }: return seconds;
            default: problem ??= $"summary.{name} is not an integer (epoch seconds)"; return null;
        }
    }

    public static string Describe(long? epochSeconds) =>
        epochSeconds is { } s && s is > -62135596800 and < 253402300800
            ? $"{DateTimeOffset.FromUnixTimeSeconds(s):yyyy-MM-dd'T'HH:mm:ss'Z'} ({s})"
            : epochSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "never";
}
