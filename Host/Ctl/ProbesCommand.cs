using Datacrumbs.Messages.Unix;
using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Ctl;

/// <summary>
/// <c>datacrumbsctl probes sign|verify|show</c>: ask the login node's signer to sign a probe list,
/// check a signed file with the site secret as the DataCrumbs runtime does, or print one. Exit codes of <c>sign</c>: 0 signed,
/// 2 usage or unreadable input, 3 signer unreachable or busy, 4 refused by the site policy, 5 no reply in time,
/// 6 protocol error or the signer could not sign. <c>verify</c>: 0 valid, 1 rejected, 2 usage or secret
/// file problem. <c>show</c>: 0 shown, 1 not a readable probes file.
/// </summary>
public static class ProbesCommand
{
    public const string DefaultSignerSocket = "/run/datacrumbs-signer/signer.sock";
    public const string DefaultSecretFile = ProbeSecret.RuntimeDefaultPath;
    /// <summary>An input probe list larger than this is refused before it is read.</summary>
    private const int MaxInputBytes = 16 * 1024 * 1024;

    public static Command Create()
    {
        var probes = new Command("probes", "Sign, verify and show DataCrumbs probes files (docs/probes.rst)");
        probes.Subcommands.Add(CreateSign());
        probes.Subcommands.Add(CreateVerify());
        probes.Subcommands.Add(CreateShow());
        return probes;
    }

    private static Command CreateSign()
    {
        var input = new Argument<string>("INPUT") { Description = "DataCrumbs categories: a JSON array of {type, name, functions, ...}, or an object {\"categories\": [...], \"summary\": {...}}" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the signed file (probes.json.gz)", Required = true };
        var socket = new Option<string>("--signer-socket")
        {
            Description = "The signer's socket (env DATACRUMBS_SIGNER_SOCKET)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATACRUMBS_SIGNER_SOCKET") is { Length: > 0 } s ? s : DefaultSignerSocket,
        };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the signer", DefaultValueFactory = _ => 30 };
        var command = new Command("sign", "Have the site's signer sign a probe list for you") { input, output, socket, timeout };
        command.SetAction((result, ct) => SignAsync(result.GetValue(input)!, result.GetValue(output)!, result.GetValue(socket)!,
            TimeSpan.FromSeconds(result.GetValue(timeout)), ct));
        return command;
    }

    private static Command CreateVerify()
    {
        var file = new Argument<string>("FILE") { Description = "A signed probes file" };
        var secretFile = new Option<string>("--secret-file")
        {
            Description = "The site probe secret (env DATACRUMBS_PROBE_SECRET; default the DataCrumbs runtime's " + DefaultSecretFile + ")",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATACRUMBS_PROBE_SECRET") is { Length: > 0 } s ? s : DefaultSecretFile,
        };
        var uid = new Option<uint?>("--uid") { Description = "Also require the file to be issued to this uid" };
        var command = new Command("verify", "Check a probes file as the runtime does (shape, checksum) and its expiry (and user)") { file, secretFile, uid };
        command.SetAction(result => Verify(result.GetValue(file)!, result.GetValue(secretFile)!, result.GetValue(uid)));
        return command;
    }

    private static Command CreateShow()
    {
        var file = new Argument<string>("FILE") { Description = "A probes file" };
        var command = new Command("show", "Print a probes file (its signature is not checked: use verify)") { file };
        command.SetAction(result => Show(result.GetValue(file)!));
        return command;
    }

    private static async Task<int> SignAsync(string inputPath, string outputPath, string socketPath, TimeSpan timeout, CancellationToken ct)
    {
        JsonDocument input;
        SignRequest request;
        try
        {
            var bytes = ReadBounded(inputPath, MaxInputBytes);
            input = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = Messages.Probes.JsonC.JsonCReader.MaxDepth });
            var root = input.RootElement;
            request = root.ValueKind == JsonValueKind.Object
                ? new SignRequest
                {
                    Categories = root.TryGetProperty("categories", out var c) ? c : throw new FormatException("the object has no \"categories\" array"),
                    Summary = root.TryGetProperty("summary", out var s) ? s : null,
                }
                : new SignRequest { Categories = root };
            ProbeSpec.ParseList(request.Categories);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            return Say(2, $"{Printable(inputPath)}: {e.Message}");
        }

        SignReply reply;
        using (input)
        {
            try { reply = await AskSignerAsync(socketPath, request, timeout, ct); }
            catch (TimeoutException e) { return Say(5, e.Message); }
            catch (SocketException e) { return Say(3, $"cannot reach the probe signer at {socketPath}: {e.Message} (is datacrumbs_sign_probes.service running on this login node?)"); }
            catch (Exception e) when (e is ProtocolException or IOException) { return Say(6, $"protocol error talking to the signer: {e.Message}"); }
        }

        switch (reply.Status)
        {
            case SignStatus.Signed when reply.File is { Length: > 0 } file:
                try { WriteAtomically(outputPath, file); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Say(2, $"cannot write {Printable(outputPath)}: {e.Message}"); }
                return Say(0, $"{reply.Message}: {Printable(outputPath)}");
            case SignStatus.Refused:
                return Say(4, $"refused by the site policy: {reply.Message}");
            case SignStatus.Unavailable when reply.Message.StartsWith("the signer is busy", StringComparison.Ordinal):
                return Say(3, reply.Message);
            default:
                return Say(6, $"the signer could not sign: {reply.Message}");
        }
    }

    private static async Task<SignReply> AskSignerAsync(string socketPath, SignRequest request, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            try { await Frames.WriteAsync(stream, request, SignerJson.Default.SignRequest, deadline.Token); }
            catch (IOException)
            {
                // A busy signer answers at once and closes without reading the request: our write then
                // fails (broken pipe), but its answer is waiting to be read. Without one, the write error stands.
                return await Frames.ReadAsync(stream, SignerJson.Default.SignReply, Frames.DefaultMaxReplyBytes, deadline.Token)
                       ?? throw new ProtocolException("the signer closed the connection before the request was sent");
            }
            return await Frames.ReadAsync(stream, SignerJson.Default.SignReply, Frames.DefaultMaxReplyBytes, deadline.Token)
                   ?? throw new ProtocolException("the signer closed the connection without replying");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply from the probe signer at {socketPath} within {timeout.TotalSeconds:0.#} s");
        }
    }

    private static int Verify(string path, string secretFile, uint? uid)
    {
        ProbeSecret secret;
        try { secret = ProbeSecret.LoadFile(secretFile, 0, UnixAccounts.EffectiveUid()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Say(2, $"cannot use the probe secret: {e.Message}");
        }
        try
        {
            var bytes = ReadBounded(path, (int)ProbeFileLimits.Default.MaxFileBytes);
            var verified = ProbesDocument.Verify(bytes, secret, ProbeFileLimits.Default, DateTimeOffset.UtcNow, uid);
            var b = verified.Binding;
            var count = verified.Document["categories"] is Messages.Probes.JsonC.JsonCArray a ? a.Items.Count : 0;
            return Say(0, $"{Printable(path)}: valid: {count} categories for {Printable(b.User ?? "?")} (uid {b.Uid}), expires {ProbeBinding.Describe(b.ExpiresAt)}");
        }
        catch (ProbesRejectedException e) { return Say(1, $"{Printable(path)}: rejected: {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Say(1, $"{Printable(path)}: rejected: cannot read: {e.Message}"); }
    }

    private static int Show(string path)
    {
        ProbeBinding d;
        bool signed;
        IReadOnlyList<ProbeSpec> probes;
        try
        {
            (d, var document, signed) = ProbesDocument.ReadUnverified(ReadBounded(path, (int)ProbeFileLimits.Default.MaxFileBytes), ProbeFileLimits.Default);
            probes = ProbesDocument.Categories(document);
        }
        catch (Exception e) when (e is ProbesRejectedException or FormatException or IOException or UnauthorizedAccessException)
        {
            return Say(1, $"{Printable(path)}: {e.Message}");
        }
        var text = new StringBuilder();
        text.AppendLine($"file:       {Printable(path)}");
        text.AppendLine($"schema:     {Printable(d.SchemaVersion ?? "none (no schema_version)")}");
        text.AppendLine($"issued to:  {Printable(d.User ?? "?")} (uid {(d.Uid is { } u ? u.ToString(System.Globalization.CultureInfo.InvariantCulture) : "NONE: not bound to a user")})");
        text.AppendLine($"issued at:  {ProbeBinding.Describe(d.IssuedAt)}");
        text.AppendLine($"expires at: {ProbeBinding.Describe(d.ExpiresAt)}");
        text.AppendLine($"checksum:   {(signed ? "hmac-sha256, not checked here (datacrumbsctl probes verify)" : "NONE (not signed)")}");
        text.AppendLine($"probes:     {probes.Count} ({probes.Sum(p => p.Functions.Count)} functions)");
        for (var i = 0; i < probes.Count; i++)
        {
            var p = probes[i];
            var functions = string.Join(", ", p.Functions.Take(8).Select(Printable)) + (p.Functions.Count > 8 ? $", ... ({p.Functions.Count} in all)" : "");
            text.Append($"  [{i}] type {Printable(p.Type)} {Printable(p.Name)}: {functions}");
            if (p.BinaryPath is { } b) text.Append($"; binary {Printable(b)}");
            if (p.HasFunctionOffsets) text.Append("; with function offsets");
            if (p.OtherFields.Count > 0) text.Append($"; also {string.Join(", ", p.OtherFields.Select(Printable))}");
            text.AppendLine();
        }
        Console.Out.Write(text.ToString());
        return 0;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; a larger file is refused without reading it all.</summary>
    private static byte[] ReadBounded(string path, int limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        var buffer = new byte[Math.Min(limit + 1L, stream.CanSeek ? Math.Max(stream.Length + 1, 1) : limit + 1L)];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
        if (total > limit) throw new IOException($"file is larger than the limit of {ProbeFileLimits.Describe(limit)}");
        return buffer.AsSpan(0, total).ToArray();
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = (UnixFileMode)0b110_100_100; // 0644, less the umask
            using (var f = new FileStream(temp, options))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally { File.Delete(temp); }
    }

    private static int Say(int code, string message)
    {
        (code == 0 ? Console.Out : Console.Error).WriteLine($"datacrumbs: probes: {message}");
        return code;
    }

    private static string Printable(string s) => UntrustedText.Printable(s);
}
