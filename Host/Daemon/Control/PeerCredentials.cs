using System.Buffers.Binary;
using System.Net.Sockets;

namespace Datacrumbs.Daemon.Control;

/// <summary>
/// Who is at the other end of a Unix socket, as the kernel says (SO_PEERCRED): never taken from
/// anything the client sends.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != 12) throw new InvalidOperationException($"SO_PEERCRED returned {length} bytes");
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }
}
