using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Datacrumbs.Signer;

/// <summary>
/// Whether someone other than root could change what a probe's path (binary_path, bpf_path,
/// process_header) names after it is signed: a symbolic link on the way (re-pointed at will), or a
/// directory or file owned by a user or writable by group or others (replaced at will). The signer
/// can see only its own host: components that do not exist here are not judged (the node's copy of
/// the tree is the site's to keep alike). See docs/probes.rst, "binary_path targets".
/// </summary>
public static partial class TargetTrees
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, Enoent = 2, Enotdir = 20;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    /// <summary>Null when only root can change what <paramref name="path"/> (absolute, normalized) names; otherwise why not.</summary>
    public static string? WhoCanChange(string path)
    {
        var current = "";
        Span<byte> buffer = stackalloc byte[256]; // struct statx, filled anew for each component
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries).Prepend(""))
        {
            current = current.Length == 0 && part.Length == 0 ? "/" : current.TrimEnd('/') + "/" + part;
            if (statx(AtFdCwd, current, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Enoent or Enotdir) return null; // not on this host: nothing more to judge here
                return $"cannot be checked ({current}: {Marshal.GetPInvokeErrorMessage(errno)})";
            }
            var uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer[20..]);
            var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
            var type = mode & 0xf000;
            if (type == 0xa000)
                return $"passes through the symbolic link {current}, which its owner can point anywhere; name the file it points to";
            if (uid != 0)
                return $"is in a tree uid {uid} can change ({current} belongs to uid {uid})";
            var sticky = (mode & 0x200) != 0;
            if ((mode & 0b000_010_010) != 0 && !(type == 0x4000 && sticky))
                return $"is in a tree others can change ({current} has mode {Convert.ToString(mode & 0xfff, 8).PadLeft(4, '0')})";
        }
        return null;
    }
}
