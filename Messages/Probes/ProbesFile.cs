using System.Buffers.Binary;
using System.IO.Compression;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The container of a probes file, as the DataCrumbs runtime reads it: gzip when the first two bytes
/// are 1f 8b, plain JSON otherwise. Written as gzip with one fixed header (no name, no time stamp), so
/// the same document always gives the same bytes. Read with a bound on both the stored and the
/// decompressed size: a gzip bomb stops at the limit, not at memory exhaustion.
/// </summary>
public static class ProbesFile
{
    /// <summary>ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255.</summary>
    private static readonly byte[] Header = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

    public static byte[] Compress(ReadOnlySpan<byte> json)
    {
        using var output = new MemoryStream();
        output.Write(Header);
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            deflate.Write(json);
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.Compute(json));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)json.Length);
        output.Write(trailer);
        return output.ToArray();
    }

    public static bool IsGzip(ReadOnlySpan<byte> file) => file.Length >= 2 && file[0] == 0x1f && file[1] == 0x8b;

    /// <summary>The JSON text of a probes file; throws <see cref="ProbesRejectedException"/> for anything too large, empty or corrupt.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> file, ProbeFileLimits limits)
    {
        if (file.Length > limits.MaxFileBytes)
            throw new ProbesRejectedException(ProbeRejection.TooLarge,
                $"file is {file.Length} bytes, more than the limit of {ProbeFileLimits.Describe(limits.MaxFileBytes)}");
        var limit = limits.MaxDecompressedBytes;
        if (!IsGzip(file))
        {
            if (file.Length > limit)
                throw new ProbesRejectedException(ProbeRejection.DecompressedTooLarge, $"the JSON is {file.Length} bytes, more than the limit of {ProbeFileLimits.Describe(limit)}");
            return file.Length == 0 ? throw new ProbesRejectedException(ProbeRejection.Malformed, "failed to read probe file (it is empty)") : file.ToArray();
        }

        using var gzip = new GZipStream(new MemoryStream(file.ToArray(), writable: false), CompressionMode.Decompress);
        var buffer = new byte[Math.Min(limit + 1, Math.Max(4096, file.Length * 4))];
        var total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > limit)
                        throw new ProbesRejectedException(ProbeRejection.DecompressedTooLarge,
                            $"decompressed size exceeds {ProbeFileLimits.Describe(limit)} (a gzip bomb, or far more probes than any signer accepts)");
                    Array.Resize(ref buffer, (int)Math.Min((long)limit + 1, buffer.Length * 2L));
                }
                var n = gzip.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new ProbesRejectedException(ProbeRejection.NotGzip, $"corrupt gzip data ({e.Message})", e);
        }
        if (total == 0) throw new ProbesRejectedException(ProbeRejection.Malformed, "failed to read probe file (it decompresses to nothing)");
        return buffer.AsSpan(0, total).ToArray();
    }
}
