using System.Text.Json.Serialization;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// Source-generated JSON for the signed envelope (no reflection: datacrumbsctl is NativeAOT).
/// Unknown top-level members are refused: they would be signed, but nothing would check them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SignedProbes))]
public sealed partial class ProbesJson : JsonSerializerContext;
