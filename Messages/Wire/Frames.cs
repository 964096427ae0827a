using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Datacrumbs.Messages.Wire;

/// <summary>
/// The framing of the control socket: a 4-byte big-endian length, then that many bytes of
/// UTF-8 JSON. A length above the limit is refused before anything is allocated for it.
/// </summary>
public static class Frames
{
    /// <summary>Requests are small; 64 KiB leaves room for any sane probe path and still bounds memory.</summary>
    public const int DefaultMaxRequestBytes = 64 * 1024;
    /// <summary>Replies can carry a status table of thousands of jobs.</summary>
    public const int DefaultMaxReplyBytes = 64 * 1024 * 1024;
    private const int HeaderBytes = 4;

    public static byte[] Encode<T>(T value, JsonTypeInfo<T> type) => Frame(JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <summary>A frame around a body already written as JSON.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> body)
    {
        var frame = new byte[HeaderBytes + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static async Task WriteAsync<T>(Stream stream, T value, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await stream.WriteAsync(Encode(value, type), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one frame. Returns null on a clean end of stream before any byte of a frame;
    /// throws <see cref="ProtocolException"/> for an oversized, truncated or malformed frame.
    /// </summary>
    public static async Task<T?> ReadAsync<T>(Stream stream, JsonTypeInfo<T> type, int maxBytes, CancellationToken ct)
        where T : class
    {
        var header = new byte[HeaderBytes];
        var got = await ReadFullyAsync(stream, header, ct).ConfigureAwait(false);
        if (got == 0) return null;
        var length = BodyLength(header, got, maxBytes);

        var body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            got = await ReadFullyAsync(stream, body.AsMemory(0, length), ct).ConfigureAwait(false);
            CheckComplete(got, length);
            return Decode(body.AsSpan(0, length), type);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>
    /// Reads one frame's body, blocking, with the checks of <see cref="ReadAsync{T}"/>; null on a clean
    /// end of stream before any byte of a frame. For a caller that decodes the JSON itself.
    /// </summary>
    public static byte[]? ReadBody(Stream stream, int maxBytes)
    {
        var header = new byte[HeaderBytes];
        var got = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        if (got == 0) return null;
        var body = new byte[BodyLength(header, got, maxBytes)];
        CheckComplete(stream.ReadAtLeast(body, body.Length, throwOnEndOfStream: false), body.Length);
        return body;
    }

    private static int BodyLength(ReadOnlySpan<byte> header, int got, int maxBytes)
    {
        if (got < HeaderBytes) throw new ProtocolException($"truncated frame header ({got} of {HeaderBytes} bytes)");
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length <= 0) throw new ProtocolException($"invalid frame length {length}");
        if (length > maxBytes) throw new ProtocolException($"frame of {length} bytes exceeds the limit of {maxBytes} bytes");
        return length;
    }

    private static void CheckComplete(int got, int length)
    {
        if (got < length) throw new ProtocolException($"truncated frame ({got} of {length} bytes)");
    }

    public static T Decode<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new ProtocolException("frame holds JSON null");
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"frame is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
