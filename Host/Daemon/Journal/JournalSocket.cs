using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Journal;

/// <summary>
/// The client end of the journal's native socket (a Unix datagram socket). An entry goes as one
/// datagram; one too large for a datagram goes as a sealed memfd passed with SCM_RIGHTS, as
/// sd_journal_sendv does. Connects lazily and again after a failure. Not thread-safe: used by
/// the sink's one sender.
/// </summary>
public sealed partial class JournalSocket(string path, TimeSpan sendTimeout) : IDisposable
{
    /// <summary>What sd-journal asks for, so that most entries fit in one datagram; the kernel
    /// caps it at net.core.wmem_max.</summary>
    private const int SendBufferBytes = 8 * 1024 * 1024;

    private Socket? _socket;

    public string Path { get; } = path;

    public enum Status { Sent, SentViaMemfd, TooLarge, Unavailable }

    public readonly record struct Result(Status Status, string? Error = null);

    public Result Send(ReadOnlySpan<byte> entry)
    {
        Socket socket;
        try { socket = _socket ??= Connect(); }
        catch (SocketException e) { return new(Status.Unavailable, Reason(e)); }
        try
        {
            socket.Send(entry);
            return new(Status.Sent);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.NoBufferSpaceAvailable)
        {
            return SendViaMemfd(socket, entry);
        }
        catch (SocketException e)
        {
            Close();   // journald restarted or stuck: reconnect on the next attempt
            return new(Status.Unavailable, Reason(e));
        }
        catch (ObjectDisposedException)
        {
            return new(Status.Unavailable, "the journal socket is closed");
        }
    }

    /// <summary>.NET reports a missing socket file as "Cannot assign requested address"; say what it is.</summary>
    private string Reason(SocketException e) => File.Exists(Path) ? e.Message : "No such file or directory";

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            try { socket.SendBufferSize = SendBufferBytes; } catch (SocketException) { /* keep the default */ }
            socket.SendTimeout = (int)sendTimeout.TotalMilliseconds;
            socket.Connect(new UnixDomainSocketEndPoint(Path));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static unsafe Result SendViaMemfd(Socket socket, ReadOnlySpan<byte> entry)
    {
        var fd = MemfdCreate("datacrumbsd-journal-entry", MfdCloexec | MfdAllowSealing);
        if (fd < 0) return TooLarge("memfd_create");
        try
        {
            fixed (byte* data = entry)
            {
                for (var written = 0; written < entry.Length;)
                {
                    var n = Write(fd, data + written, (nint)(entry.Length - written));
                    if (n < 0) return TooLarge("write to memfd");
                    written += (int)n;
                }
            }
            // journald maps only sealed memfds: nobody can change the entry under it
            if (Fcntl(fd, FAddSeals, FSealShrink | FSealGrow | FSealWrite | FSealSeal) < 0) return TooLarge("sealing memfd");

            var control = stackalloc ulong[3];   // CMSG_SPACE(sizeof(int)) on LP64, 8-byte aligned
            var header = (CmsgHeader*)control;
            header->Length = (nuint)(sizeof(CmsgHeader) + sizeof(int));
            header->Level = SolSocket;
            header->Type = ScmRights;
            *(int*)(header + 1) = fd;
            var message = new MsgHeader { Control = control, ControlLength = (nuint)(3 * sizeof(ulong)) };
            var sent = SendMsg((int)socket.SafeHandle.DangerousGetHandle(), &message, MsgNoSignal);
            return sent < 0 ? TooLarge("sendmsg of the memfd") : new(Status.SentViaMemfd);
        }
        finally { _ = CloseFd(fd); }
    }

    private static Result TooLarge(string step)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new(Status.TooLarge, $"{step}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public void Dispose() => Close();

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
    }

    private const uint MfdCloexec = 1, MfdAllowSealing = 2;
    private const int FAddSeals = 1024 + 9, FSealSeal = 1, FSealShrink = 2, FSealGrow = 4, FSealWrite = 8;
    private const int SolSocket = 1, ScmRights = 1, MsgNoSignal = 0x4000;

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MsgHeader
    {
        public void* Name;
        public uint NameLength;
        public void* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMsg(int socket, MsgHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseFd(int fd);
}
