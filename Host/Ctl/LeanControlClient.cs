using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// <see cref="ControlClient"/> for the hooks' fast path, which every job on a node pays for: blocking,
/// and with System.Text.Json's reader and writer instead of its serializer, whose start-up was most of
/// what the NativeAOT client spent before its first request (measured: about 5 ms of user CPU of 12,
/// docs/performance.rst). It speaks the same frames with the same names (WireJson's snake_case, enums
/// as their names), for the requests a Flux hook sends and the fields of a reply a hook reads; a
/// property spec (LeanControlClientSpecs) holds it to WireJson. Fails as ControlClient does: a
/// SocketException, TimeoutException, IOException or ProtocolException.
/// </summary>
public static class LeanControlClient
{
    private static readonly JsonNamingPolicy Names = JsonNamingPolicy.SnakeCaseLower;
    private static readonly string OpName = Names.ConvertName(nameof(ControlRequest.Op));
    private static readonly string JobName = Names.ConvertName(nameof(ControlRequest.Job));
    private static readonly string UidName = Names.ConvertName(nameof(ControlRequest.Uid));
    private static readonly string FluxUriName = Names.ConvertName(nameof(ControlRequest.FluxUri));
    private static readonly string FluxOwnerUidName = Names.ConvertName(nameof(ControlRequest.FluxOwnerUid));
    private static readonly string StatusName = Names.ConvertName(nameof(ControlReply.Status));
    private static readonly string MessageName = Names.ConvertName(nameof(ControlReply.Message));
    private static readonly string ReplyJobName = Names.ConvertName(nameof(ControlReply.Job));
    private static readonly string OutcomeName = Names.ConvertName(nameof(ControlReply.Outcome));
    private static readonly string PolicyName = Names.ConvertName(nameof(ControlReply.Policy));

    public static ControlReply Send(string socketPath, ControlRequest request, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        // Whole milliseconds left, at least 1 (0 would mean no timeout at all to the socket).
        int Left() => Math.Max(1, (int)Math.Min(int.MaxValue, (timeout - clock.Elapsed).TotalMilliseconds));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A Unix socket's connect waits on a full backlog for up to the send timeout.
            socket.SendTimeout = Left();
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            socket.SendTimeout = Left();
            socket.Send(Frames.Frame(EncodeRequest(request)));
            socket.ReceiveTimeout = Left();
            using var stream = new NetworkStream(socket, ownsSocket: false);
            return DecodeReply(Frames.ReadBody(stream, Frames.DefaultMaxReplyBytes) ?? throw ControlClient.ClosedWithoutReply());
        }
        catch (Exception e) when (e is SocketException { SocketErrorCode: SocketError.TimedOut } or IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } })
        {
            throw ControlClient.NoReplyWithin(socketPath, timeout);
        }
    }

    /// <summary>A Flux hook's request (no wrapper metadata, no Slurm options) as WireJson writes it.</summary>
    public static byte[] EncodeRequest(ControlRequest request)
    {
        if (request.Metadata is not null || request.Submitted is not null)
            throw new ArgumentException("the lean client sends Flux hook requests only", nameof(request));
        var body = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString(OpName, request.Op.ToString());
            if (request.Job is { } job) json.WriteString(JobName, job);
            if (request.Uid is { } uid) json.WriteNumber(UidName, uid);
            if (request.FluxUri is { } uri) json.WriteString(FluxUriName, uri);
            if (request.FluxOwnerUid is { } owner) json.WriteNumber(FluxOwnerUidName, owner);
            json.WriteEndObject();
        }
        return body.WrittenSpan.ToArray();
    }

    /// <summary>The fields of a reply a hook reads (status, message, job, outcome, policy); the others are skipped.</summary>
    public static ControlReply DecodeReply(ReadOnlySpan<byte> body)
    {
        ReplyStatus? status = null;
        string? message = null, job = null;
        Outcome? outcome = null;
        FailurePolicy? policy = null;
        try
        {
            var json = new Utf8JsonReader(body);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject) throw Invalid("not a JSON object");
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var name = json.GetString();
                json.Read();
                if (name == StatusName) status = EnumValue<ReplyStatus>(ref json, name);
                else if (name == MessageName) message = json.GetString();
                else if (name == ReplyJobName) job = json.GetString();
                else if (name == OutcomeName) outcome = EnumValue<Outcome>(ref json, name);
                else if (name == PolicyName) policy = EnumValue<FailurePolicy>(ref json, name);
                else json.Skip();
            }
            if (json.TokenType != JsonTokenType.EndObject || json.Read()) throw Invalid("text after the object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Invalid(e.Message, e);
        }
        return new ControlReply
        {
            Status = status ?? throw Invalid($"no '{StatusName}'"),
            Message = message ?? throw Invalid($"no '{MessageName}'"),
            Job = job,
            Outcome = outcome,
            Policy = policy,
        };
    }

    private static T? EnumValue<T>(ref Utf8JsonReader json, string? name) where T : struct, Enum
    {
        if (json.TokenType == JsonTokenType.Null) return null;
        var text = json.GetString();
        // Names only, as WireJson writes them: not numbers, not other cases.
        return text is { Length: > 0 } && !char.IsAsciiDigit(text[0]) && text[0] != '-'
               && Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw Invalid($"'{name}' is not a {typeof(T).Name}: '{text}'");
    }

    private static ProtocolException Invalid(string why, Exception? inner = null) =>
        new($"frame is not a valid {nameof(ControlReply)}: {why}", inner);
}
