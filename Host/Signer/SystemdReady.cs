using System.Net.Sockets;
using System.Text;

namespace Datacrumbs.Signer;

/// <summary>
/// Tells systemd the signer serves (READY=1 on $NOTIFY_SOCKET): its unit is Type=notify, so without
/// it systemd would wait out the start timeout and kill a signer that was listening all along.
/// Nothing happens outside systemd (no NOTIFY_SOCKET).
/// </summary>
public static class SystemdReady
{
    public static void Notify(TextWriter log)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path)) return;
        // "@name" is an abstract socket, which the kernel names with a leading NUL.
        var endpoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.ASCII.GetBytes("READY=1"), endpoint);
        }
        catch (SocketException e)
        {
            log.WriteLine($"could not tell systemd the signer is ready (NOTIFY_SOCKET {path}): {e.Message}");
        }
    }
}
