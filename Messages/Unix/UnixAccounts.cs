using System.Runtime.InteropServices;
using System.Text;

namespace Datacrumbs.Messages.Unix;

/// <summary>
/// User and group lookups through the C library (so NSS, LDAP and SSSD answer exactly as for
/// `id` or `getent`). The reentrant calls are used: the signer and the daemon look up concurrently.
/// </summary>
public static class UnixAccounts
{
    private const int PasswdBytes = 64, GroupBytes = 64, BufferBytes = 64 * 1024;

    /// <summary>The user's name and primary group, or null when the uid has no account.</summary>
    public static (string Name, uint Gid)? LookupUser(uint uid)
    {
        var record = Marshal.AllocHGlobal(PasswdBytes);
        var buffer = Marshal.AllocHGlobal(BufferBytes);
        try
        {
            if (getpwuid_r(uid, record, buffer, BufferBytes, out var result) != 0 || result == IntPtr.Zero) return null;
            var name = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(record, 0)) ?? "";
            var gid = (uint)Marshal.ReadInt32(record, 2 * IntPtr.Size + sizeof(uint)); // pw_name, pw_passwd, pw_uid, pw_gid
            return (name, gid);
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
            Marshal.FreeHGlobal(record);
        }
    }

    /// <summary>The uid of a user name (or of a uid given as digits), or null when there is no such user.</summary>
    public static uint? LookupUid(string name)
    {
        if (uint.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid)) return uid;
        var record = Marshal.AllocHGlobal(PasswdBytes);
        var buffer = Marshal.AllocHGlobal(BufferBytes);
        try
        {
            var cname = Encoding.UTF8.GetBytes(name + "\0");
            if (getpwnam_r(cname, record, buffer, BufferBytes, out var result) != 0 || result == IntPtr.Zero) return null;
            return (uint)Marshal.ReadInt32(record, 2 * IntPtr.Size); // pw_name, pw_passwd, pw_uid
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
            Marshal.FreeHGlobal(record);
        }
    }

    /// <summary>The gid of a group name, or null when there is no such group.</summary>
    public static uint? LookupGroup(string name)
    {
        var record = Marshal.AllocHGlobal(GroupBytes);
        var buffer = Marshal.AllocHGlobal(BufferBytes);
        try
        {
            var cname = Encoding.UTF8.GetBytes(name + "\0");
            if (getgrnam_r(cname, record, buffer, BufferBytes, out var result) != 0 || result == IntPtr.Zero) return null;
            return (uint)Marshal.ReadInt32(record, 2 * IntPtr.Size); // gr_name, gr_passwd, gr_gid
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
            Marshal.FreeHGlobal(record);
        }
    }

    /// <summary>
    /// The groups of user <paramref name="name"/> as this host's NSS lists them (getgrouplist): the primary
    /// <paramref name="gid"/> and every supplementary group. For callers no kernel vouches for (a munge
    /// credential carries only uid and gid).
    /// </summary>
    public static IReadOnlySet<uint> GroupsOf(string name, uint gid)
    {
        var cname = Encoding.UTF8.GetBytes(name + "\0");
        var groups = new uint[64];
        while (true)
        {
            var count = groups.Length;
            if (getgrouplist(cname, gid, groups, ref count) >= 0)
                return new HashSet<uint>(groups.Take(count)) { gid };
            // -1: too small, and count now holds the number needed (grown by hand if a libc does not say).
            groups = new uint[Math.Max(count, groups.Length * 2)];
            if (groups.Length > 65536) return new HashSet<uint> { gid };
        }
    }

    /// <summary>The effective uid of this process.</summary>
    public static uint EffectiveUid() => geteuid();

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc")]
    private static extern int getpwuid_r(uint uid, IntPtr pwd, IntPtr buf, nuint buflen, out IntPtr result);

    [DllImport("libc")]
    private static extern int getpwnam_r(byte[] name, IntPtr pwd, IntPtr buf, nuint buflen, out IntPtr result);

    [DllImport("libc")]
    private static extern int getgrouplist(byte[] user, uint group, [Out] uint[] groups, ref int ngroups);

    [DllImport("libc")]
    private static extern int getgrnam_r(byte[] name, IntPtr grp, IntPtr buf, nuint buflen, out IntPtr result);
}
