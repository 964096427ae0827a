using System.Text.Json;
using System.Text.Json.Serialization;

namespace Datacrumbs.Signer;

/// <summary>
/// The signer's configuration file (default /etc/datacrumbs/signer.json; example: signer.example.json).
/// Settable properties, not init-only: the JSON source generator gives an omitted init-only member
/// default(T) (0, null) instead of the declared default, so an omitted limit refused the start.
/// </summary>
public sealed record SignerConfig
{
    public const string DefaultPath = "/etc/datacrumbs/signer.json";
    public const string DefaultSocket = "/run/datacrumbs-signer/signer.sock";

    /// <summary>The Unix socket users connect to; created mode 0666 in a root-owned directory.</summary>
    public string Socket { get; set; } = DefaultSocket;
    /// <summary>The site's probe secret, the DataCrumbs runtime's own file (64 hex characters, root, 0400); the same file on every node.</summary>
    public string SecretFile { get; set; } = Datacrumbs.Messages.Probes.ProbeSecret.RuntimeDefaultPath;
    /// <summary>Clients served at once; more are told the signer is busy.</summary>
    public int MaxClients { get; set; } = 16;
    /// <summary>Clients of one uid served at once: one user's idle connections cannot take every slot.</summary>
    public int MaxClientsPerUser { get; set; } = 4;
    /// <summary>How long one client may take from connect to the end of its request.</summary>
    public double ClientTimeoutSeconds { get; set; } = 10;
    public ProbePolicy Policy { get; set; } = new();

    public static SignerConfig Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            var config = JsonSerializer.Deserialize(bytes, SignerConfigJson.Default.SignerConfig)
                         ?? throw new InvalidDataException($"{path} holds JSON null");
            config.Validate(path);
            return config;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private void Validate(string path)
    {
        if (!Socket.StartsWith('/')) throw new InvalidDataException($"{path}: \"socket\" must be an absolute path");
        if (!SecretFile.StartsWith('/')) throw new InvalidDataException($"{path}: \"secret_file\" must be an absolute path");
        if (MaxClients is < 1 or > 4096) throw new InvalidDataException($"{path}: \"max_clients\" must be 1..4096");
        if (MaxClientsPerUser < 1 || MaxClientsPerUser > MaxClients) throw new InvalidDataException($"{path}: \"max_clients_per_user\" must be 1..max_clients ({MaxClients})");
        if (ClientTimeoutSeconds is <= 0 or > 600) throw new InvalidDataException($"{path}: \"client_timeout_seconds\" must be in (0, 600]");
        Policy.Validate(path);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SignerConfig))]
internal sealed partial class SignerConfigJson : JsonSerializerContext;
