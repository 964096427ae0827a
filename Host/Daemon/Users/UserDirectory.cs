using System.Globalization;

namespace Datacrumbs.Daemon.Users;

/// <summary>User names and uids (placeholder reading /etc/passwd until the NSS-aware version lands).</summary>
public static class UserDirectory
{
    public static uint? UidOf(string name) =>
        Entries().Where(e => e.Name == name).Select(e => (uint?)e.Uid).FirstOrDefault();

    public static string NameOf(uint uid) =>
        Entries().Where(e => e.Uid == uid).Select(e => e.Name).FirstOrDefault() ?? uid.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<(string Name, uint Uid)> Entries() =>
        File.ReadLines("/etc/passwd")
            .Select(l => l.Split(':'))
            .Where(f => f.Length > 2 && uint.TryParse(f[2], out _))
            .Select(f => (f[0], uint.Parse(f[2], CultureInfo.InvariantCulture)));
}
