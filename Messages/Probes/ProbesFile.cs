using System.Buffers.Binary;
using System.IO.Compression;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// The gzip container of a probes file. Written with one fixed header (no name, no time stamp,
/// OS "unknown") so the same document always gives the same header, and read with a bound on both
/// the compressed and the decompressed size: a gzip bomb stops at the limit, not at memory exhaustion.
/// </summary>
public static class ProbesFile
{
    /// <summary>ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255. Any other header is refused on read.</summary>
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

    /// <summary>Decompresses a probes file; throws <see cref="ProbesRejectedException"/> for anything too large or not our gzip.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> file, ProbeFileLimits limits)
    {
        if (file.Length > limits.MaxFileBytes)
            throw new ProbesRejectedException(ProbeRejection.TooLarge,
                $"file is {file.Length} bytes, more than the limit of {ProbeFileLimits.Describe(limits.MaxFileBytes)}");
        if (file.Length < Header.Length + 8 || file[0] != 0x1f || file[1] != 0x8b)
            throw new ProbesRejectedException(ProbeRejection.NotGzip, "not a gzip file (a probes file is written by 'datacrumbsctl probes sign')");
        if (!file[..Header.Length].SequenceEqual(Header))
            throw new ProbesRejectedException(ProbeRejection.NotGzip, "gzip header differs from the one 'datacrumbsctl probes sign' writes (file was altered or re-packed)");

        using var gzip = new GZipStream(new MemoryStream(file.ToArray(), writable: false), CompressionMode.Decompress);
        var limit = limits.MaxDecompressedBytes;
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
                            $"decompressed size exceeds {ProbeFileLimits.Describe(limit)} (a gzip bomb, or far more probes than any site allows)");
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
        // GZipStream reads on past the first member and ignores some trailing bytes; a probes file is
        // exactly one member, so its last 8 bytes must be the trailer of everything decompressed.
        var content = buffer.AsSpan(0, total);
        var trailer = file[^8..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != Crc32.Compute(content) || BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) != (uint)total)
            throw new ProbesRejectedException(ProbeRejection.NotGzip, "data after the end of the gzip stream (file was altered or re-packed)");
        return content.ToArray();
    }
}
