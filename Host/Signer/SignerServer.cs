using Datacrumbs.Messages.Unix;
using System.Net.Sockets;
using System.Text.Json;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Signer;

/// <summary>
/// Serves signing requests on the signer's Unix socket: one request and one reply a connection,
/// the caller identified by SO_PEERCRED only, every client bounded in time, size and number.
/// </summary>
public sealed class SignerServer(SignerConfig config, ProbeSecret secret, TimeProvider time, TextWriter log)
{
    private readonly HashSet<uint> _customGids = config.Policy.ResolveCustomGroups();
    private readonly SemaphoreSlim _slots = new(config.MaxClients, config.MaxClients);
    /// <summary>The probe list plus JSON framing; anything larger is refused before it is read.</summary>
    private int MaxRequestBytes => config.Policy.MaxDocumentBytes * 2 + 1024;

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
        log.WriteLine($"listening on {config.Socket} ({secret} from {config.SecretFile}, {config.MaxClients} clients at most)");

        var clients = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try { client = await listener.AcceptAsync(stop); }
                catch (OperationCanceledException) { break; }
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(client, stop));
            }
        }
        finally
        {
            File.Delete(config.Socket);
            await Task.WhenAll(clients);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(config.ClientTimeoutSeconds));

        if (!_slots.Wait(0, CancellationToken.None)) // never blocks: a token has nothing to cancel
        {
            log.WriteLine("refused a client: too many clients at once");
            await TryReplyAsync(stream, new SignReply { Status = SignStatus.Unavailable, Message = "the signer is busy; try again in a moment" }, deadline.Token);
            return;
        }
        try
        {
            var reply = await HandleAsync(client, stream, deadline.Token);
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
        finally
        {
            _slots.Release();
        }
    }

    private async Task<SignReply> HandleAsync(Socket client, Stream stream, CancellationToken ct)
    {
        var peer = PeerCredentials.Of(client);
        var who = $"uid {peer.Uid} pid {peer.Pid}";
        if (UnixAccounts.LookupUser(peer.Uid) is not { } account)
            return Refuse(SignStatus.Refused, who, $"uid {peer.Uid} has no user account on this node");
        who = $"uid {peer.Uid} ({account.Name}) pid {peer.Pid}";

        SignRequest? request;
        try { request = await Frames.ReadAsync(stream, SignerJson.Default.SignRequest, MaxRequestBytes, ct); }
        catch (ProtocolException e) { return Refuse(SignStatus.BadRequest, who, e.Message); }
        if (request is null) return Refuse(SignStatus.BadRequest, who, "connection closed before a request");

        IReadOnlyList<ProbeSpec> probes;
        JsonCArray categories;
        JsonCObject? summary = null;
        int plainBytes;
        try
        {
            probes = ProbeSpec.ParseList(request.Categories);
            // json-c's reading of what was sent: the file will hold exactly this tree.
            categories = (JsonCArray)JsonCReader.Parse(Encoding.UTF8.GetBytes(request.Categories.GetRawText()));
            plainBytes = JsonCPlain.Serialize(categories).Length;
            if (request.Summary is { } s)
            {
                summary = JsonCReader.Parse(Encoding.UTF8.GetBytes(s.GetRawText())) as JsonCObject
                          ?? throw new FormatException("\"summary\" must be a JSON object");
                if (summary.Members.FirstOrDefault(m => ProbesDocument.ReservedSummaryMembers.Contains(m.Key)) is { Key: { } reserved })
                    throw new FormatException($"summary.{reserved} is set by the signer, not by the request");
                plainBytes += JsonCPlain.Serialize(summary).Length;
            }
        }
        catch (FormatException e) { return Refuse(SignStatus.BadRequest, who, e.Message); }

        if (config.Policy.Check(probes, plainBytes, peer.Groups, _customGids) is { } refusal)
            return Refuse(SignStatus.Refused, who, refusal);

        var (binding, file) = ProbesDocument.Sign(categories, summary, peer.Uid, account.Name, time.GetUtcNow(), config.Policy.Validity, secret);
        var functions = probes.Sum(p => p.Functions.Count);
        var until = ProbeBinding.Describe(binding.ExpiresAt);
        log.WriteLine($"signed {probes.Count} probes ({functions} functions) for {who}: expires {until}");
        return new SignReply
        {
            Status = SignStatus.Signed,
            Message = $"signed {probes.Count} probes ({functions} functions) for {account.Name} (uid {peer.Uid}), valid until {until}",
            File = file,
            Uid = binding.Uid,
            User = binding.User,
            ExpiresAt = binding.ExpiresAt,
        };
    }

    private SignReply Refuse(SignStatus status, string who, string reason)
    {
        log.WriteLine($"refused {who}: {reason}");
        return new SignReply { Status = status, Message = reason };
    }

    private static async Task TryReplyAsync(Stream stream, SignReply reply, CancellationToken ct)
    {
        try { await Frames.WriteAsync(stream, reply, SignerJson.Default.SignReply, ct); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { /* the client left */ }
    }
}
