using System.Runtime.InteropServices;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// Awaits another process's death as an event: a pidfd (Linux 5.3+) becomes readable when
/// the process exits, so there is no polling of /proc and no race with pid reuse once opened.
/// </summary>
public sealed class ProcessDeath : IDisposable
{
    private const int SysPidfdOpen = 434; // same number on x86_64 and aarch64
    private readonly int _fd;

    private ProcessDeath(int fd) => _fd = fd;

    /// <summary>Null when the process is already gone.</summary>
    public static ProcessDeath? Watch(int pid)
    {
        var fd = (int)syscall(SysPidfdOpen, pid, 0);
        return fd < 0 ? null : new ProcessDeath(fd);
    }

    /// <summary>True when the process exited within the timeout.</summary>
    public bool WaitExited(TimeSpan timeout)
    {
        var pfd = new PollFd { Fd = _fd, Events = 1 /* POLLIN */ };
        int rc;
        do rc = poll(ref pfd, 1, (int)timeout.TotalMilliseconds);
        while (rc < 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */);
        return rc == 1;
    }

    public void Dispose() => close(_fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int Fd; public short Events; public short Revents; }

    // DllImport, not LibraryImport: the spec project does not allow unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int pid, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(ref PollFd fds, ulong count, int timeout);

    [DllImport("libc")]
    private static extern int close(int fd);
}
