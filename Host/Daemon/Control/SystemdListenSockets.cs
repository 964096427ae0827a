using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// The listening sockets systemd passed (socket activation), read as sd_listen_fds(3) does:
/// descriptors 3 .. 3+LISTEN_FDS-1, named by LISTEN_FDNAMES (a socket unit's
/// FileDescriptorName=), meant for this process only if LISTEN_PID is its pid. The three
/// variables are removed either way, so no child (flux, setpriv, a tracer) inherits them, and
/// each descriptor is made close-on-exec. Microsoft.Extensions.Hosting.Systemd reads LISTEN_PID
/// only to tell whether it runs under systemd; Kestrel's parser is not for a plain host.
/// </summary>
public sealed partial class SystemdListenSockets
{
    /// <summary>SD_LISTEN_FDS_START: the first descriptor systemd passes.</summary>
    public const int FirstDescriptor = 3;
    private const string PidVariable = "LISTEN_PID", CountVariable = "LISTEN_FDS", NamesVariable = "LISTEN_FDNAMES";

    private readonly Dictionary<string, int> _byName;

    private SystemdListenSockets(Dictionary<string, int> byName) => _byName = byName;

    /// <summary>No socket from systemd: the daemon binds its own (process backend, demo, specs).</summary>
    public static SystemdListenSockets None { get; } = new([]);

    /// <summary>Descriptors by name that nobody has taken yet.</summary>
    public IReadOnlyDictionary<string, int> Remaining => _byName;

    /// <summary>What systemd passed to this process; the variables are gone from the environment afterwards.</summary>
    public static SystemdListenSockets TakeFromEnvironment()
    {
        var (pid, count, names) = (Environment.GetEnvironmentVariable(PidVariable), Environment.GetEnvironmentVariable(CountVariable),
            Environment.GetEnvironmentVariable(NamesVariable));
        foreach (var name in new[] { PidVariable, CountVariable, NamesVariable }) Environment.SetEnvironmentVariable(name, null);
        var sockets = Parse(pid, count, names, Environment.ProcessId);
        foreach (var fd in sockets._byName.Values)
        {
            var flags = fcntl(fd, F_GETFD, 0);
            if (flags < 0)
                throw new InvalidOperationException($"systemd's {CountVariable}={count} names descriptor {fd}, which is not open ({Marshal.GetLastPInvokeErrorMessage()})");
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
        return sockets;
    }

    /// <summary>
    /// The descriptors by name, from the variables' values. Not for this process (no LISTEN_PID,
    /// another pid): none. Values systemd would never set are refused with the variable named.
    /// </summary>
    public static SystemdListenSockets Parse(string? pid, string? count, string? names, int ownPid)
    {
        if (string.IsNullOrEmpty(pid)) return None;
        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var forPid) || forPid <= 0)
            throw new InvalidOperationException($"{PidVariable}={Shown(pid)} is not a process id (systemd's socket activation sets it)");
        if (forPid != ownPid) return None;
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 1024)
            throw new InvalidOperationException($"{CountVariable}={Shown(count)} is not a number of descriptors (0 to 1024)");
        if (n == 0) return None;
        // Without LISTEN_FDNAMES every descriptor is "unknown", as in sd_listen_fds_with_names(3).
        var named = names is null ? Enumerable.Repeat("unknown", n).ToArray() : names.Split(':');
        if (named.Length != n)
            throw new InvalidOperationException($"{NamesVariable}={Shown(names)} names {named.Length} descriptor(s) but {CountVariable}={n}");
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
            if (!byName.TryAdd(named[i], FirstDescriptor + i))
                throw new InvalidOperationException($"{NamesVariable}={Shown(names)} names two descriptors '{named[i]}': give each socket unit its own FileDescriptorName=");
        return new SystemdListenSockets(byName);
    }

    /// <summary>The listening socket named <paramref name="name"/>, now owned by the caller; null when systemd passed none by that name.</summary>
    public Socket? Take(string name)
    {
        if (!_byName.Remove(name, out var fd)) return null;
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        if (socket.AddressFamily == AddressFamily.Unix && socket.SocketType == SocketType.Stream) return socket;
        var what = $"{socket.AddressFamily} {socket.SocketType}";
        socket.Dispose();
        throw new InvalidOperationException($"systemd passed '{name}' as a {what} socket; datacrumbsd needs a Unix stream socket (ListenStream=/path)");
    }

    private static string Shown(string? value) => value is null ? "(unset)" : $"'{Messages.Text.UntrustedText.Printable(value)}'";

    private const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);
}
