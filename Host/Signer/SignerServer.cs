using Datacrumbs.Messages.Unix;
using System.Net.Sockets;
using System.Text.Json;
using System.Text;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Probes.JsonC;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Signer;

/// <summary>
/// Serves signing requests on the signer's Unix socket: one request and one reply a connection,
/// the caller identified by SO_PEERCRED only, every client bounded in time, size and number.
/// </summary>
public sealed class SignerServer(SignerConfig config, ProbeSecret secret, TimeProvider time, TextWriter log)
{
    private readonly HashSet<uint> _customGids = config.Policy.ResolveCustomGroups();
    private readonly ClientSlots _slots = new(config.MaxClients, config.MaxClientsPerUser);
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
        log.WriteLine($"listening on {config.Socket} ({secret} from {config.SecretFile}, {config.MaxClients} clients at most, {config.MaxClientsPerUser} a user)");

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
            for (var i = 0; i < probes.Count; i++)
                if (probes[i].UndefinedFields.FirstOrDefault() is { } field)
                    throw new FormatException($"probe {i} ({UntrustedText.Printable(probes[i].Name)}): \"{UntrustedText.Printable(field)}\" is not a field of the DataCrumbs probe format (it defines {string.Join(", ", ProbeSpec.FormatFields)})");
            // json-c's reading of what was sent: the file will hold exactly this tree.
            categories = (JsonCArray)ParseForFile(request.Categories, "the probe list");
            plainBytes = JsonCPlain.Serialize(categories).Length;
            if (request.Summary is { } s)
            {
                summary = ParseForFile(s, "summary") as JsonCObject
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

    /// <summary>
    /// json-c's tree of one member of the file, which must be at most 31 levels deep: the file's root
    /// object adds one, and json-c (so the runtime, and our daemon) reads no deeper than 32.
    /// </summary>
    private static JsonCValue ParseForFile(System.Text.Json.JsonElement member, string what)
    {
        // The frame reader already bounded the nesting (64), so parsing deeper than json-c here is cheap.
        var tree = JsonCReader.Parse(Encoding.UTF8.GetBytes(member.GetRawText()), maxDepth: 64);
        if (JsonCReader.Depth(tree) > JsonCReader.MaxDepth - 1)
            throw new FormatException($"{what} is nested deeper than {JsonCReader.MaxDepth} levels in the signed file (json-c, so the DataCrumbs runtime, reads no deeper)");
        return tree;
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
