using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Native;

/// <summary>
/// Owner and mode of a path without following a final symlink, through statx(2), whose buffer
/// layout is the same on every architecture (unlike struct stat).
/// </summary>
public static partial class FileStatus
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    public readonly record struct Status(uint Uid, uint Gid, UnixFileMode Mode, bool IsDirectory, bool IsSymlink, bool IsRegularFile = false);

    /// <param name="followSymlink">Describe what a final symlink points to instead of the link itself.</param>
    public static Status Of(string path, bool followSymlink = false)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, followSymlink ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer[20..]);
        var gid = BinaryPrimitives.ReadUInt32LittleEndian(buffer[24..]);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var type = mode & 0xf000;
        return new Status(uid, gid, (UnixFileMode)(mode & 0xfff), type == 0x4000, type == 0xa000, type == 0x8000);
    }
}
