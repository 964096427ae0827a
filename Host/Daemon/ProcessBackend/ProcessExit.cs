using Datacrumbs.Daemon.Native;

namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>
/// Waits for a process that is not our child (one left by an earlier run of the daemon) to exit,
/// through a pidfd, which becomes readable when the process ends: no polling of /proc.
/// </summary>
public static class ProcessExit
{
    public static Task WaitAsync(ProcessIdentity process, CancellationToken ct)
    {
        var fd = Libc.pidfd_open(process.Pid, 0);
        if (fd < 0 || !process.IsAlive)
        {
            if (fd >= 0) _ = Libc.close(fd);
            return Task.CompletedTask; // already gone
        }
        return Task.Factory.StartNew(() =>
        {
            try
            {
                var pollFd = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
                // Short poll slices so cancellation is honoured; each slice wakes at once on exit.
                while (Libc.poll(ref pollFd, 1, 200) == 0 || (pollFd.Revents & Libc.POLLIN) == 0)
                    ct.ThrowIfCancellationRequested();
            }
            finally
            {
                _ = Libc.close(fd); // nothing to do about a failed close of a pidfd
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}
