using System.Globalization;
using System.Runtime.InteropServices;

namespace Datacrumbs.Ctl;

/// <summary>Whom the service wrapper acts for.</summary>
internal static partial class Users
{
    [LibraryImport("libc")]
    private static partial uint getuid();

    /// <summary>The user a wrapper acts for by default: the one who ran sudo, else the caller.</summary>
    public static uint Invoking() =>
        uint.TryParse(Environment.GetEnvironmentVariable("SUDO_UID"), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : getuid();
}
