using System.Net;
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
    /// <summary>
    /// Also serve upstream's probe manager protocol (JSON-RPC over TCP, callers identified by munge) at
    /// this "address:port", e.g. "0.0.0.0:43123" (upstream's port) or "[::]:43123"; port 0 lets the
    /// system choose (the signer logs the port). Null, the default: off.
    /// </summary>
    public string? TcpListen { get; set; }
    /// <summary>munged's socket for checking credentials; null: libmunge's default (/run/munge/munge.socket.2).</summary>
    public string? MungeSocket { get; set; }
    public ProbePolicy Policy { get; set; } = new();

    /// <summary><see cref="TcpListen"/> parsed; null when the TCP listener is off.</summary>
    [JsonIgnore]
    public IPEndPoint? TcpEndPoint => TcpListen is null ? null : IPEndPoint.Parse(TcpListen);

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
        if (TcpListen is not null && (!IPEndPoint.TryParse(TcpListen, out var endpoint) || !TcpListen.Contains(':') || endpoint.Port is < 0 or > 65535))
            throw new InvalidDataException($"{path}: \"tcp_listen\" must be an address and port such as \"0.0.0.0:43123\", \"127.0.0.1:0\" or \"[::]:43123\" (or left out: no TCP listener)");
        if (MungeSocket is not null && !MungeSocket.StartsWith('/')) throw new InvalidDataException($"{path}: \"munge_socket\" must be an absolute path");
        Policy.Validate(path);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SignerConfig))]
internal sealed partial class SignerConfigJson : JsonSerializerContext;
