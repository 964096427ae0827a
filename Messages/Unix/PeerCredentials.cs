using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Datacrumbs.Messages.Unix;

/// <summary>
/// Who is at the other end of a Unix socket, as the kernel recorded it at connect time
/// (SO_PEERCRED, SO_PEERGROUPS): the only identity the daemon and the signer believe; nothing
/// the client sends can change it. <see cref="Groups"/> holds the primary group and the
/// supplementary ones (the signer allows custom BPF by group membership).
/// </summary>
public sealed record PeerCredentials(int Pid, uint Uid, uint Gid, IReadOnlySet<uint> Groups)
{
    private const int SolSocket = 1, SoPeerCred = 17, SoPeerGroups = 59;
    private const int MaxGroups = 65536; // the kernel's NGROUPS_MAX

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != 12) throw new InvalidOperationException($"SO_PEERCRED returned {length} bytes");
        var gid = BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]);
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            gid,
            GroupsOf(socket, gid));
    }

    private static HashSet<uint> GroupsOf(Socket socket, uint gid)
    {
        var groups = new HashSet<uint> { gid };
        // Pooled: room for NGROUPS_MAX is 256 KiB, too much to allocate for every connection.
        var buffer = ArrayPool<byte>.Shared.Rent(MaxGroups * sizeof(uint));
        try
        {
            var n = socket.GetRawSocketOption(SolSocket, SoPeerGroups, buffer);
            for (var i = 0; i + sizeof(uint) <= n; i += sizeof(uint)) groups.Add(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)));
        }
        // Linux before 4.13 has no SO_PEERGROUPS: the primary group only, so membership grants nothing extra.
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ProtocolOption) { }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return groups;
    }
}
