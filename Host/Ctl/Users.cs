using System.Globalization;
using System.Runtime.InteropServices;

namespace Datacrumbs.Ctl;

/// <summary>User names to uids through the C library (so NSS sources such as LDAP work too).</summary>
internal static partial class Users
{
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc")]
    public static partial uint getuid();

    /// <summary>A uid as digits, or a user name; null when no such user exists.</summary>
    public static uint? Resolve(string user)
    {
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)) return uid;
        var entry = getpwnam(user);
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; ... }: pw_uid follows two pointers.
        return entry == IntPtr.Zero ? null : (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    /// <summary>The user a wrapper acts for by default: the one who ran sudo, else the caller.</summary>
    public static uint Invoking() =>
        uint.TryParse(Environment.GetEnvironmentVariable("SUDO_UID"), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : getuid();
}
