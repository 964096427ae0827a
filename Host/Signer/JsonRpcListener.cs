using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Unix;
using Datacrumbs.Messages.Text;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Signer;

/// <summary>
/// Upstream's probe manager protocol, so upstream's <c>datacrumbs_probe_configurator</c> can use this
/// signer: JSON-RPC 2.0 over TCP, one request a connection, read until the client shuts down its
/// sending side (half-close), one reply, close. The only method is <c>sign_probe_payload</c>:
/// <c>{"jsonrpc":"2.0","id":"1","method":"sign_probe_payload","credential":"MUNGE:...",
/// "params":{"signing_payload":"{\"summary\":{...},\"categories\":[...],\"checksum_algorithm\":\"hmac-sha256\"}"}}</c>.
/// The caller is the uid munged vouches for in the credential, whose payload must be the SHA-256 of
/// <c>signing_payload</c> (lowercase hex); nothing the request says about itself counts. The document
/// is decided by the same <see cref="ProbeSigning"/> as on the Unix socket, and the same per-user
/// <see cref="ClientSlots"/> bound the work. Every connection gets one reply (a JSON-RPC error for
/// anything wrong) and one log line within <c>client_timeout_seconds</c>.
/// </summary>
public sealed class JsonRpcListener : IDisposable
{
    public const string Method = "sign_probe_payload";
    /// <summary>An upstream request holds about ten values (the probes travel as one string).</summary>
    private const int MaxEnvelopeValues = 4096;
    private static readonly HashSet<string> PayloadMembers = ["summary", "categories", "checksum_algorithm"];

    private readonly SignerConfig _config;
    private readonly ProbeSigning _signing;
    private readonly ClientSlots _slots;
    private readonly TextWriter _log;
    private readonly Socket _listener;
    private int _open;

    /// <summary>Binds and listens at once (a taken port fails the start); <see cref="EndPoint"/> is the real one (port 0: the OS's choice).</summary>
    public JsonRpcListener(SignerConfig config, ProbeSigning signing, ClientSlots slots, TextWriter log)
    {
        (_config, _signing, _slots, _log) = (config, signing, slots, log);
        MungeCredentials.EnsureLoaded();
        var endpoint = config.TcpEndPoint!;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(128);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new InvalidDataException($"cannot listen on tcp {endpoint} (tcp_listen): {e.Message}", e);
        }
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// The largest request read: the envelope around a payload of <c>max_document_bytes</c> that a JSON
    /// encoder may escape up to six bytes a byte (<c>\u00xx</c>), plus room for the credential.
    /// </summary>
    private int MaxRequestBytes => _config.Policy.MaxDocumentBytes * 6 + 64 * 1024;
    private TimeSpan Timeout => TimeSpan.FromSeconds(_config.ClientTimeoutSeconds);

    public async Task RunAsync(CancellationToken stop)
    {
        var clients = new List<Task>();
        try
        {
            while (await Accepting.NextAsync(_listener, (e, times) => _log.WriteLine($"accept on tcp {EndPoint} failed ({times} in a row): {e.Message}; still serving"), stop) is { } client)
            {
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(client, stop));
            }
        }
        finally
        {
            await Task.WhenAll(clients);
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        var from = $"tcp {client.RemoteEndPoint}";
        try
        {
            // Before the credential is read nobody is known, so the first bound is on connections:
            // as many at once as the signer serves clients, each for at most the client timeout.
            if (Interlocked.Increment(ref _open) > _config.MaxClients)
            {
                await ReplyAsync(client, stream, Fail(from, null, JsonRpcReplies.Busy,
                    $"the signer is busy: {_config.MaxClients} TCP clients are being served, the most at once; try again in a moment"), drain: false, stop);
                return;
            }
            var (reply, drain) = await HandleAsync(stream, from, stop);
            await ReplyAsync(client, stream, reply, drain, stop);
        }
        catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && stop.IsCancellationRequested))
        {
            _log.WriteLine($"client dropped ({from}): {(stop.IsCancellationRequested ? "shutting down" : e.Message)}");
        }
        catch (Exception e)
        {
            // A bug must cost one request, never the signer: answer, log it, and keep serving.
            _log.WriteLine($"internal error serving {from}, request not signed: {e.GetType().Name}: {UntrustedText.Printable(e.Message)}");
            try { await ReplyAsync(client, stream, JsonRpcReplies.Error(null, JsonRpcReplies.InternalError, "the signer failed on this request (an internal error, logged on the signer host)"), drain: false, stop); }
            catch (Exception again) when (again is IOException or SocketException or OperationCanceledException) { /* the client left */ }
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>The reply, and whether the client may still be sending (then its bytes are read and dropped, so closing does not reset the connection before the reply arrives).</summary>
    private async Task<(byte[] Reply, bool Drain)> HandleAsync(NetworkStream stream, string from, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(Timeout);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer.GetMemory(16 * 1024), deadline.Token);
                if (n == 0) break;
                buffer.Advance(n);
                if (buffer.WrittenCount > MaxRequestBytes)
                    return (Fail(from, null, JsonRpcReplies.InvalidRequest,
                        $"the request is larger than {MaxRequestBytes} bytes, the most this signer reads (policy.max_document_bytes {_config.Policy.MaxDocumentBytes}, escaped as a JSON string)"), true);
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return (Fail(from, null, JsonRpcReplies.InvalidRequest,
                $"no complete request within {_config.ClientTimeoutSeconds} s ({buffer.WrittenCount} bytes came): send the whole request, then shut down the sending side of the connection (half-close), as upstream's client does"), false);
        }
        if (buffer.WrittenCount == 0)
            return (Fail(from, null, JsonRpcReplies.InvalidRequest, "the connection was shut down before a request"), false);
        return (Answer(buffer.WrittenSpan, from), false);
    }

    private byte[] Answer(ReadOnlySpan<byte> request, string from)
    {
        JsonCValue parsed;
        try { parsed = JsonCReader.Parse(request, MaxEnvelopeValues); }
        catch (JsonCValueLimitException)
        {
            return Fail(from, null, JsonRpcReplies.InvalidRequest, $"the request holds more than {MaxEnvelopeValues} JSON values; sign_probe_payload carries the probes as one string (params.signing_payload)");
        }
        catch (FormatException e) { return Fail(from, null, JsonRpcReplies.ParseError, $"the request is not JSON ({e.Message})"); }
        if (parsed is not JsonCObject envelope)
            return Fail(from, null, JsonRpcReplies.InvalidRequest, "the request must be a JSON-RPC 2.0 request object");
        var id = envelope["id"];
        if (envelope["jsonrpc"] is not JsonCString { Value: "2.0" })
            return Fail(from, id, JsonRpcReplies.InvalidRequest, "the request must be JSON-RPC 2.0 (\"jsonrpc\": \"2.0\")");
        if (envelope["method"] is not JsonCString { Value: var method })
            return Fail(from, id, JsonRpcReplies.InvalidRequest, "the request has no \"method\" string");
        if (method != Method)
            return Fail(from, id, JsonRpcReplies.MethodNotFound, method == "report_runtime_probe_state"
                ? "report_runtime_probe_state is not served here: this signer signs probes only (sign_probe_payload) and keeps no record of nodes' attach results"
                : $"method '{UntrustedText.Printable(method)}' is not served here; this signer answers {Method} only");
        if (envelope["params"] is not JsonCObject parameters)
            return Fail(from, id, JsonRpcReplies.InvalidParams, "the request has no \"params\" object");
        if (parameters["signing_payload"] is not JsonCString { Value: var payload })
            return Fail(from, id, JsonRpcReplies.InvalidParams, "params.signing_payload must be a string: the JSON text of {\"summary\":{...},\"categories\":[...],\"checksum_algorithm\":\"hmac-sha256\"}");
        if (envelope["credential"] is not JsonCString { Value: { Length: > 0 } credential })
            return Fail(from, id, JsonRpcReplies.InvalidRequest,
                "the request has no munge credential (\"credential\": made with munge on the caller's host, its payload the SHA-256 of params.signing_payload in lowercase hex)");

        var (identity, error, mungeMessage) = MungeCredentials.Decode(credential, _config.MungeSocket);
        if (identity is null) return CredentialRejected(from, id, error, mungeMessage);
        var who = $"uid {identity.Uid} by munge credential from {from}";
        var digest = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload))));
        if (!identity.Payload.AsSpan().SequenceEqual(digest))
            return Fail(who, id, JsonRpcReplies.InvalidRequest,
                "the munge credential is not bound to this request: its payload must be the SHA-256 of params.signing_payload as 64 lowercase hex characters (a credential is good for the one payload it was made for)");
        if (UnixAccounts.LookupUser(identity.Uid) is not { } account)
            return Fail(who, id, JsonRpcReplies.RefusedByPolicy, $"uid {identity.Uid} has no user account on the signer host");
        // munge vouches for uid and gid only; the other groups (custom_groups) are this host's NSS's word.
        var caller = new Caller(identity.Uid, account.Name, UnixAccounts.GroupsOf(account.Name, identity.Gid),
            $"uid {identity.Uid} ({account.Name}) by munge credential from {from}");

        if (_slots.TryAcquire(caller.Uid) is { } busy)
            return Fail(caller.Description, id, JsonRpcReplies.Busy, $"the signer is busy: {busy}; try again in a moment");
        try
        {
            return Sign(caller, id, payload);
        }
        finally
        {
            _slots.Release(caller.Uid);
        }
    }

    private byte[] Sign(Caller caller, JsonCValue? id, string payload)
    {
        JsonCValue tree;
        try { tree = ProbeSigning.Parse(payload); }
        catch (FormatException e) { return Fail(caller.Description, id, JsonRpcReplies.InvalidParams, $"params.signing_payload is not JSON ({e.Message})"); }
        if (tree is not JsonCObject root)
            return Fail(caller.Description, id, JsonRpcReplies.InvalidParams, "params.signing_payload must be a JSON object {\"summary\":{...},\"categories\":[...],\"checksum_algorithm\":\"hmac-sha256\"}");
        if (root.Members.FirstOrDefault(m => !PayloadMembers.Contains(m.Key)) is { Key: { } extra })
            return Fail(caller.Description, id, JsonRpcReplies.InvalidParams,
                $"signing_payload.{UntrustedText.Printable(extra)} is not a member of a signing payload (summary, categories, checksum_algorithm; the signer adds the checksum)");
        if (root["checksum_algorithm"] is not JsonCString { Value: ProbesDocument.Algorithm })
            return Fail(caller.Description, id, JsonRpcReplies.InvalidParams, $"signing_payload.checksum_algorithm must be \"{ProbesDocument.Algorithm}\", the one the DataCrumbs runtime checks");
        if (root["summary"] is not { } summary)
            return Fail(caller.Description, id, JsonRpcReplies.InvalidParams, "signing_payload has no summary object");
        if (root["categories"] is not { } categories)
            return Fail(caller.Description, id, JsonRpcReplies.InvalidParams, "signing_payload has no categories array");

        var decision = _signing.Decide(caller, categories, summary);
        return decision.Status == SignStatus.Signed
            ? JsonRpcReplies.Result(id, decision.DocumentJson!)
            : JsonRpcReplies.Error(id, JsonRpcReplies.CodeOf(decision.Status), decision.Message);
    }

    /// <summary>munge's verdict in words a user can act on; munged unreachable is the signer's problem, not the caller's.</summary>
    private byte[] CredentialRejected(string from, JsonCValue? id, MungeCredentials.MungeError error, string message)
    {
        var advice = error switch
        {
            MungeCredentials.MungeError.Expired => "credentials live for munge's time-to-live (5 minutes by default): make a new one for each request",
            MungeCredentials.MungeError.Rewound => "it was made in the future by this host's clock: check the clocks of the caller's host and the signer's",
            MungeCredentials.MungeError.Replayed => "each credential is good for one request: make a new one; if you did not send it twice, someone else sent it first",
            MungeCredentials.MungeError.Unauthorized => "it is restricted to another uid or gid than the signer's",
            MungeCredentials.MungeError.BadCredential or MungeCredentials.MungeError.BadVersion or MungeCredentials.MungeError.BadCipher or MungeCredentials.MungeError.BadMac
                or MungeCredentials.MungeError.BadZip or MungeCredentials.MungeError.BadRealm or MungeCredentials.MungeError.Invalid
                => "not a valid credential of this cluster's munge key: made on a host with another key, or damaged",
            _ => null,
        };
        return advice is null
            ? Fail(from, id, JsonRpcReplies.InternalError, $"the signer cannot check munge credentials now ({message}); munged must run on the signer host")
            : Fail(from, id, JsonRpcReplies.InvalidRequest, $"munge credential rejected: {message} ({advice})");
    }

    private byte[] Fail(string who, JsonCValue? id, int code, string message)
    {
        _signing.Refuse(who, SignStatus.BadRequest, message);
        return JsonRpcReplies.Error(id, code, message);
    }

    /// <summary>Writes the reply, half-closes, and when the client may still be sending, reads and drops the rest (bounded in time) before the close.</summary>
    private async Task ReplyAsync(Socket client, NetworkStream stream, byte[] reply, bool drain, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(Timeout);
        await stream.WriteAsync(reply, deadline.Token);
        client.Shutdown(SocketShutdown.Send);
        if (!drain) return;
        var sink = new byte[16 * 1024];
        try { while (await stream.ReadAsync(sink, deadline.Token) > 0) { } }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested) { /* it kept sending: the close resets it */ }
    }
}
