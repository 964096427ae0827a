using System.Runtime.InteropServices;
using Datacrumbs.Daemon.Native;

namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>
/// Waits for a process that is not our child (one left by an earlier run of the daemon) to exit,
/// through a pidfd, which becomes readable when the process ends. The waiting thread sleeps in
/// poll(2) with no timeout: no polling of /proc and no wakeup until the process ends or the wait is
/// cancelled (an eventfd the cancellation writes to).
/// </summary>
public static class ProcessExit
{
    public static Task WaitAsync(ProcessIdentity process, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var pidFd = Libc.pidfd_open(process.Pid, 0);
        if (pidFd < 0 || !process.IsAlive)
        {
            if (pidFd >= 0) _ = Libc.close(pidFd);
            return Task.CompletedTask; // already gone
        }
        var cancelFd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        if (cancelFd < 0)
        {
            _ = Libc.close(pidFd);
            throw new InvalidOperationException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        return Task.Factory.StartNew(() => Wait(pidFd, cancelFd, ct), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static void Wait(int pidFd, int cancelFd, CancellationToken ct)
    {
        // The registration's dispose waits for a running callback, so cancelFd is still open when it writes.
        var registration = ct.Register(() => _ = Libc.write(cancelFd, 1UL, sizeof(ulong)));
        try
        {
            Span<Libc.PollFd> fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = pidFd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = cancelFd, Events = Libc.POLLIN };
            while (true)
            {
                if (Libc.poll(fds, 2, -1) < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR) continue;
                    throw new InvalidOperationException($"poll on a pidfd failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                if (fds[0].Revents != 0) return; // readable (ended), or an error that means the same
                if (fds[1].Revents != 0) throw new OperationCanceledException(ct); // only a cancellation writes to it
            }
        }
        finally
        {
            registration.Dispose();
            // Nothing to do about a failed close of a pidfd or an eventfd.
            _ = Libc.close(cancelFd);
            _ = Libc.close(pidFd);
        }
    }
}
