using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Native;

/// <summary>The few libc calls .NET does not wrap: signals to process groups, pidfds, chown.</summary>
internal static partial class Libc
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int ESRCH = 3;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    /// <summary>Changes a file's owner and group; uint.MaxValue leaves one unchanged.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pidfd_open(int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(Span<PollFd> fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, in ulong value, nuint count);

    [LibraryImport("libc")]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getpgid(int pid);

    public const short POLLIN = 1;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Sends a signal to a whole process group; false when the group no longer exists.</summary>
    public static bool SignalGroup(int processGroup, int signal)
    {
        if (processGroup <= 1) throw new ArgumentOutOfRangeException(nameof(processGroup), "refusing to signal group <= 1");
        if (kill(-processGroup, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ESRCH) return false;
        throw new InvalidOperationException($"kill(-{processGroup}, {signal}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
