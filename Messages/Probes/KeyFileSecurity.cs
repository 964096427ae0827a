using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Datacrumbs.Messages.Probes;

/// <summary>
/// Refuses a secret file anyone but its owner could read or change. .NET has no API for a file's
/// owner, so this asks the kernel with statx(2) on the open descriptor (one layout on every architecture).
/// </summary>
public static class KeyFileSecurity
{
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int UidOffset = 20, ModeOffset = 28, StatxSize = 256;
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000;

    /// <summary>Throws <see cref="UnauthorizedAccessException"/> naming the file, its owner and mode when they are too loose.</summary>
    public static void EnsurePrivate(SafeFileHandle handle, string path, IReadOnlyCollection<uint> allowedOwners)
    {
        var (owner, mode) = Stat(handle, path);
        if ((mode & FileTypeMask) != RegularFile)
            throw new UnauthorizedAccessException($"key file {path} is not a regular file");
        if (!allowedOwners.Contains(owner))
            throw new UnauthorizedAccessException($"key file {path} is owned by uid {owner}; it must be owned by {(allowedOwners.Count == 1 && allowedOwners.Contains(0u) ? "root" : "uid " + string.Join(" or ", allowedOwners))}");
        if ((mode & 0x1FF & ~0x180) != 0) // anything beyond owner read/write
            throw new UnauthorizedAccessException($"key file {path} has mode {Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0')}; it must be 0600 or 0400 (chmod 0600 {path})");
    }

    public static (uint Owner, int Mode) Stat(SafeFileHandle handle, string path)
    {
        var buffer = new byte[StatxSize];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (statx((int)handle.DangerousGetHandle(), [0], AtEmptyPath, StatxBasicStats, buffer) != 0)
                throw new IOException($"cannot stat {path}: errno {Marshal.GetLastPInvokeError()}");
        }
        finally { if (added) handle.DangerousRelease(); }
        return (BitConverter.ToUInt32(buffer, UidOffset), BitConverter.ToUInt16(buffer, ModeOffset));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, byte[] path, int flags, uint mask, byte[] statxbuf);
}
