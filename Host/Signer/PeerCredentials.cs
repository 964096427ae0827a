using System.Net.Sockets;

namespace Datacrumbs.Signer;

/// <summary>
/// Who is on the other end of a Unix socket, as the kernel recorded it at connect time. This is the
/// only identity the signer believes; nothing the client sends can change it.
/// </summary>
public sealed record PeerCredentials(int Pid, uint Uid, uint Gid, IReadOnlySet<uint> Groups)
{
    private const int SolSocket = 1, SoPeerCred = 17, SoPeerGroups = 59;

    public static PeerCredentials Of(Socket socket)
    {
        var cred = new byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        if (socket.GetRawSocketOption(SolSocket, SoPeerCred, cred) != cred.Length)
            throw new InvalidOperationException("SO_PEERCRED returned a short struct ucred");
        var pid = BitConverter.ToInt32(cred, 0);
        var uid = BitConverter.ToUInt32(cred, 4);
        var gid = BitConverter.ToUInt32(cred, 8);

        // Supplementary groups of the peer (Linux 4.13+): custom BPF is allowed by group membership.
        var groups = new HashSet<uint> { gid };
        var buffer = new byte[65536 * sizeof(uint)];
        var n = socket.GetRawSocketOption(SolSocket, SoPeerGroups, buffer);
        for (var i = 0; i + sizeof(uint) <= n; i += sizeof(uint)) groups.Add(BitConverter.ToUInt32(buffer, i));
        return new PeerCredentials(pid, uid, gid, groups);
    }
}
