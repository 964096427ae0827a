using System.Text;

namespace Datacrumbs.Daemon.Systemd;

/// <summary>
/// The two escapings systemd applies to names: <see cref="Instance"/> for the part after '@' in
/// a unit name (what <c>systemd-escape</c> prints), and <see cref="BusPath"/> for a unit's D-Bus
/// object path (what <c>sd_bus_path_encode</c> builds). Canonical job ids (f58plain) pass both
/// unchanged or predictably; anything else is escaped byte by byte, so no input can change the
/// template or the path it lands in.
/// </summary>
public static class SystemdEscape
{
    private const string UnitPathPrefix = "/org/freedesktop/systemd1/unit/";

    /// <summary>Escapes text for use as a unit instance name, exactly as <c>systemd-escape</c> does.</summary>
    public static string Instance(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.Contains('\0')) throw new ArgumentException("an instance name cannot contain a NUL character", nameof(text));

        var bytes = Encoding.UTF8.GetBytes(text);
        var sb = new StringBuilder(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == '/') sb.Append('-');
            else if (i == 0 && b == '.') AppendHex(sb, b);        // no unit name may start with '.'
            else if (IsAsciiLetterOrDigit(b) || b is (byte)':' or (byte)'_' or (byte)'.') sb.Append((char)b);
            else AppendHex(sb, b);                                // '-', '\\', controls, non-ASCII, ...
        }
        return sb.ToString();

        static void AppendHex(StringBuilder sb, byte b) => sb.Append(@"\x").Append(b.ToString("x2"));
    }

    /// <summary>The object path of a unit on systemd's bus, e.g. <c>.../unit/datacrumbs_40fX_2eservice</c>.</summary>
    public static string BusPath(string unitName)
    {
        ArgumentException.ThrowIfNullOrEmpty(unitName);
        var bytes = Encoding.UTF8.GetBytes(unitName);
        var sb = new StringBuilder(UnitPathPrefix, UnitPathPrefix.Length + bytes.Length * 3);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            // A path element may hold [A-Za-z0-9_]; sd-bus also escapes '_' and a leading digit.
            if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (i > 0 && b >= '0' && b <= '9')) sb.Append((char)b);
            else sb.Append('_').Append(b.ToString("x2"));
        }
        return sb.ToString();
    }

    private static bool IsAsciiLetterOrDigit(byte b) => (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
}
