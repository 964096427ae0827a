using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Specs.Reliability;

/// <summary>A control-socket client that sends whatever bytes it is given, for hostile-input specs.</summary>
public static class RawClient
{
    /// <summary>A frame header announcing <paramref name="length"/> bytes, followed by nothing.</summary>
    public static byte[] Header(int length)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        return header;
    }

    /// <summary>A well-formed frame around any body text (which need not be valid JSON).</summary>
    public static byte[] Frame(string body) => Frame(Encoding.UTF8.GetBytes(body));

    public static byte[] Frame(byte[] body) => [.. Header(body.Length), .. body];

    public static async Task<Socket> ConnectAsync(string socketPath, CancellationToken ct = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
        return socket;
    }

    /// <summary>Sends the bytes, closes the sending side (the daemon sees the end), and reads the one reply; null if none came.</summary>
    public static async Task<ControlReply?> ExchangeAsync(string socketPath, byte[] bytes, double seconds = 15)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var socket = await ConnectAsync(socketPath, deadline.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        if (bytes.Length > 0) await stream.WriteAsync(bytes, deadline.Token);
        socket.Shutdown(SocketShutdown.Send);
        return await ReadReplyAsync(stream, deadline.Token);
    }

    public static Task<ControlReply?> ReadReplyAsync(Stream stream, CancellationToken ct) =>
        Frames.ReadAsync(stream, WireJson.Default.ControlReply, Frames.DefaultMaxReplyBytes, ct);
}
