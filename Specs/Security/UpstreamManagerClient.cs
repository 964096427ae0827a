using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Datacrumbs.Messages.Probes.JsonC;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// A minimal client speaking exactly what upstream's configurator sends its probe manager (learned
/// from llnl-asr/datacrumbs-utils: probe_signing_service.cpp, probe_explorer.cpp; our own code):
/// the signing payload is json-c PLAIN of <c>{summary, categories, "checksum_algorithm":"hmac-sha256"}</c>
/// with the summary <c>config_file_path, probe_file_path, hostname, install_user</c>; the credential is
/// munge's over the payload's SHA-256 in lowercase hex; the request is json-c PLAIN of
/// <c>{"jsonrpc":"2.0","id":"1","method":"sign_probe_payload","credential":...,"params":{"signing_payload":...}}</c>,
/// written whole, then the sending side shut down, then the reply read to the end.
/// </summary>
public static class UpstreamManagerClient
{
    public sealed record Reply(string Text, JsonElement Id, string? Document, int? Code, string? Message);

    /// <summary>The payload the configurator builds for <paramref name="categoriesJson"/> (json-c PLAIN: "/" written "\/").</summary>
    public static string SigningPayload(string categoriesJson, string? extraSummaryMember = null)
    {
        var summary = new JsonCObject();
        summary.Set("config_file_path", new JsonCString("/usr/local/etc/datacrumbs/configs/probes.yaml"));
        summary.Set("probe_file_path", new JsonCString("/home/user/probes.json.gz"));
        summary.Set("hostname", new JsonCString("login1"));
        summary.Set("install_user", new JsonCString("datacrumbs"));
        if (extraSummaryMember is not null)
            foreach (var (name, value) in ((JsonCObject)JsonCReader.Parse(Encoding.UTF8.GetBytes(extraSummaryMember))).Members)
                summary.Set(name, value);
        var payload = new JsonCObject();
        payload.Set("summary", summary);
        payload.Set("categories", JsonCReader.Parse(Encoding.UTF8.GetBytes(categoriesJson)));
        payload.Set("checksum_algorithm", new JsonCString("hmac-sha256"));
        return Encoding.UTF8.GetString(JsonCPlain.Serialize(payload));
    }

    /// <summary>What the credential carries: the payload's SHA-256, lowercase hex.</summary>
    public static string Digest(string payload) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));

    public static byte[] Request(string payload, string? credential, string method = "sign_probe_payload")
    {
        var parameters = new JsonCObject();
        parameters.Set("signing_payload", new JsonCString(payload));
        var request = new JsonCObject();
        request.Set("jsonrpc", new JsonCString("2.0"));
        request.Set("id", new JsonCString("1"));
        request.Set("method", new JsonCString(method));
        if (credential is not null) request.Set("credential", new JsonCString(credential));
        request.Set("params", parameters);
        return JsonCPlain.Serialize(request);
    }

    /// <summary>Connects, writes <paramref name="request"/>, shuts down the sending side unless told not to, and reads the reply to the end.</summary>
    public static async Task<Reply> ExchangeAsync(IPEndPoint at, byte[] request, bool halfClose = true)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var socket = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(at, deadline.Token);
        await socket.SendAsync(request, deadline.Token);
        if (halfClose) socket.Shutdown(SocketShutdown.Send);
        using var reply = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, deadline.Token)) > 0) reply.Write(buffer, 0, n);
        return Parse(Encoding.UTF8.GetString(reply.ToArray()));
    }

    private static Reply Parse(string text)
    {
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        if (root.GetProperty("jsonrpc").GetString() != "2.0") throw new InvalidDataException($"not a JSON-RPC 2.0 reply: {text}");
        var id = root.GetProperty("id").Clone();
        if (root.TryGetProperty("result", out var result)) return new Reply(text, id, result.GetProperty("document").GetString(), null, null);
        var error = root.GetProperty("error");
        return new Reply(text, id, null, error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString());
    }
}
