using System.Globalization;
using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Users;

/// <summary>
/// User names from uids through the C library's getpwuid_r, so that NSS sources (LDAP,
/// SSSD) answer as they do for every other tool on the node; /etc/passwd alone would miss
/// most users of a real cluster.
/// </summary>
public partial class UserDirectory
{
    private const int ERANGE = 34;
    private const int InitialBuffer = 1024;
    private const int MaxBuffer = 1024 * 1024;

    /// <summary>
    /// The user's name, or the uid as decimal text when the uid has no entry (or the lookup
    /// failed, or the name is unprintable): the uid stays authoritative, the name is a label.
    /// </summary>
    public virtual string NameOf(uint uid) => TryGetName(uid) ?? uid.ToString(CultureInfo.InvariantCulture);

    private static unsafe string? TryGetName(uint uid)
    {
        // struct passwd is 48 bytes on 64-bit glibc and musl; pw_name is its first member.
        var pwd = stackalloc byte[64];
        for (var size = InitialBuffer; size <= MaxBuffer; size *= 2)
        {
            var buffer = new byte[size];
            // Everything getpwuid_r returns points into pwd and buffer: read it while pinned.
            fixed (byte* b = buffer)
            {
                IntPtr result;
                var rc = getpwuid_r(uid, pwd, b, (nuint)buffer.Length, &result);
                if (rc == ERANGE) continue;
                if (rc != 0 || result == IntPtr.Zero) return null;
                var namePtr = *(IntPtr*)result;
                var name = namePtr == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(namePtr);
                return name is { Length: > 0 } && !name.Any(char.IsControl) ? name : null;
            }
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    private static unsafe partial int getpwuid_r(uint uid, byte* pwd, byte* buffer, nuint length, IntPtr* result);
}
