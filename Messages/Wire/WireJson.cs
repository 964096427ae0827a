using System.Text.Json.Serialization;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// Source-generated JSON for the wire protocol: no reflection, so the NativeAOT client and
/// the daemon share exactly one serializer. Names are snake_case, enums their member names as strings.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true, // a JSON null where the type says string is refused, not passed on as null
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlReply))]
[JsonSerializable(typeof(IReadOnlyList<Jobs.JobStatus>))]
public sealed partial class WireJson : JsonSerializerContext;
