using System.Text.Json;
using System.Text.Json.Serialization;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// What a user sends the signer, framed like the daemon's socket (<see cref="Wire.Frames"/>). It holds
/// only the probe list: who is asking is read from the socket (SO_PEERCRED), never from here.
/// </summary>
public sealed record SignRequest
{
    /// <summary>DataCrumbs' categories, an array of <c>{type, name, functions[], binary_path?, ...}</c>.</summary>
    public required JsonElement Categories { get; init; }
    /// <summary>Members the caller wants in the signed summary (e.g. upstream's config_file_path); never uid, user, schema_version, expires_at, issued_at.</summary>
    public JsonElement? Summary { get; init; }
}

public enum SignStatus
{
    /// <summary>Signed; <see cref="SignReply.File"/> holds the file.</summary>
    Signed,
    /// <summary>The site policy does not allow these probes for this user; the message says which rule.</summary>
    Refused,
    /// <summary>The request was malformed (not a probe list, too large).</summary>
    BadRequest,
    /// <summary>The signer cannot sign now (too many clients, shutting down, internal error).</summary>
    Unavailable,
}

/// <summary>The signer's answer: one a request.</summary>
public sealed record SignReply
{
    public required SignStatus Status { get; init; }
    public required string Message { get; init; }
    /// <summary>The signed probes file (gzip bytes), base64 in JSON; the client writes it as it is.</summary>
    public byte[]? File { get; init; }
    public uint? Uid { get; init; }
    public string? User { get; init; }
    /// <summary>Epoch seconds, as in the document's summary.expires_at.</summary>
    public long? ExpiresAt { get; init; }
}

/// <summary>Source-generated JSON of the signer's socket protocol.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SignRequest))]
[JsonSerializable(typeof(SignReply))]
public sealed partial class SignerJson : JsonSerializerContext;
