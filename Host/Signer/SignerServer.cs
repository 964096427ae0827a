using Datacrumbs.Messages.Unix;
using System.Net.Sockets;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Signer;

/// <summary>
/// Serves signing requests on the signer's Unix socket: one request and one reply a connection,
/// the caller identified by SO_PEERCRED only, every client bounded in time, size and number. When
/// configured (<c>tcp_listen</c>), also upstream's JSON-RPC over TCP (<see cref="JsonRpcListener"/>),
/// with the same policy and the same per-user slots.
/// </summary>
public sealed class SignerServer(SignerConfig config, ProbeSecret secret, TimeProvider time, TextWriter log)
{
    private readonly ProbeSigning _signing = new(config, secret, time, log);
    private readonly ClientSlots _slots = new(config.MaxClients, config.MaxClientsPerUser);
    /// <summary>The probe list plus JSON framing; anything larger is refused before it is read.</summary>
    private int MaxRequestBytes => config.Policy.MaxDocumentBytes * 2 + 1024;

    /// <summary>Serves until <paramref name="stop"/>; throws <see cref="SocketException"/> when a socket cannot be bound.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var dir = Path.GetDirectoryName(config.Socket)!;
        if (!Directory.Exists(dir))
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                           | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Delete(config.Socket); // a stale socket from a previous run

        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(config.Socket));
        // Anyone may ask; the policy and SO_PEERCRED decide what they get.
        File.SetUnixFileMode(config.Socket, (UnixFileMode)0b110_110_110);
        listener.Listen(128);
        // Both sockets listen before either is announced: whoever reads one line may use both.
        using var rpc = config.TcpListen is null ? null : new JsonRpcListener(config, _signing, _slots, log);
        if (rpc is not null)
            log.WriteLine($"listening on tcp {rpc.EndPoint} (upstream's JSON-RPC sign_probe_payload; callers identified by munge credentials, munged at {config.MungeSocket ?? "libmunge's default socket"})");
        log.WriteLine($"listening on {config.Socket} ({secret} from {config.SecretFile}, {config.MaxClients} clients at most, {config.MaxClientsPerUser} a user)");
        SystemdReady.Notify(log);
        var rpcServing = rpc?.RunAsync(stop) ?? Task.CompletedTask;

        var clients = new List<Task>();
        try
        {
            while (await Accepting.NextAsync(listener, (e, times) => log.WriteLine($"accept on {config.Socket} failed ({times} in a row): {e.Message}; still serving"), stop) is { } client)
            {
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(client, stop));
            }
        }
        finally
        {
            File.Delete(config.Socket);
            await Task.WhenAll(clients);
            await rpcServing;
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(config.ClientTimeoutSeconds));

        // The kernel's word on who connected, read before anything else: slots are per uid.
        PeerCredentials peer;
        try { peer = PeerCredentials.Of(client); }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            log.WriteLine($"client dropped: no peer credentials ({e.Message})");
            return;
        }
        if (_slots.TryAcquire(peer.Uid) is { } busy)
        {
            log.WriteLine($"refused uid {peer.Uid} pid {peer.Pid}: busy, {busy}");
            await TryReplyAsync(stream, new SignReply { Status = SignStatus.Unavailable, Message = $"the signer is busy: {busy}; try again in a moment" }, deadline.Token);
            return;
        }
        try
        {
            var reply = await HandleAsync(peer, stream, deadline.Token);
            await TryReplyAsync(stream, reply, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            log.WriteLine(stop.IsCancellationRequested ? "client dropped: shutting down" : $"client dropped: no complete request within {config.ClientTimeoutSeconds} s");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            log.WriteLine($"client dropped: {e.Message}");
        }
        catch (Exception e)
        {
            // A bug must cost one request, never the signer: answer, log it, and keep serving.
            log.WriteLine($"internal error serving a client, request not signed: {e.GetType().Name}: {UntrustedText.Printable(e.Message)}");
            await TryReplyAsync(stream, new SignReply { Status = SignStatus.Unavailable, Message = "the signer failed on this request (an internal error, logged on the signer host)" }, deadline.Token);
        }
        finally
        {
            _slots.Release(peer.Uid);
        }
    }

    private async Task<SignReply> HandleAsync(PeerCredentials peer, Stream stream, CancellationToken ct)
    {
        var who = $"uid {peer.Uid} pid {peer.Pid}";
        if (UnixAccounts.LookupUser(peer.Uid) is not { } account)
            return Reply(_signing.Refuse(who, SignStatus.Refused, $"uid {peer.Uid} has no user account on this node"));
        var caller = new Caller(peer.Uid, account.Name, peer.Groups, $"uid {peer.Uid} ({account.Name}) pid {peer.Pid}");

        SignRequest? request;
        try { request = await Frames.ReadAsync(stream, SignerJson.Default.SignRequest, MaxRequestBytes, ct); }
        catch (ProtocolException e) { return Reply(_signing.Refuse(caller, SignStatus.BadRequest, e.Message)); }
        if (request is null) return Reply(_signing.Refuse(caller, SignStatus.BadRequest, "connection closed before a request"));

        JsonCValue categories;
        JsonCValue? summary;
        try
        {
            categories = ProbeSigning.Parse(request.Categories.GetRawText());
            summary = request.Summary is { } s ? ProbeSigning.Parse(s.GetRawText()) : null;
        }
        catch (FormatException e) { return Reply(_signing.Refuse(caller, SignStatus.BadRequest, e.Message)); }
        return Reply(_signing.Decide(caller, categories, summary));
    }

    private static SignReply Reply(SigningDecision decision) => decision.Status == SignStatus.Signed
        ? new SignReply
        {
            Status = SignStatus.Signed,
            Message = decision.Message,
            File = ProbesFile.Compress(decision.DocumentJson),
            Uid = decision.Binding!.Uid,
            User = decision.Binding.User,
            ExpiresAt = decision.Binding.ExpiresAt,
        }
        : new SignReply { Status = decision.Status, Message = decision.Message };

    private static async Task TryReplyAsync(Stream stream, SignReply reply, CancellationToken ct)
    {
        try { await Frames.WriteAsync(stream, reply, SignerJson.Default.SignReply, ct); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { /* the client left */ }
    }
}
