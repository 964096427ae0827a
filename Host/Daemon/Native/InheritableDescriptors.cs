using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Native;

/// <summary>
/// Marks every descriptor of this process above stderr close-on-exec. .NET opens its own files and
/// sockets that way, but descriptors this process inherited (from systemd, a shell, a test host) are
/// not: a child we start as another user would hold them open. Called before starting such a child;
/// it does not change what this process itself can use.
/// </summary>
internal static partial class InheritableDescriptors
{
    private const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    public static void CloseAllOnExec()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var fd) || fd <= 2) continue;
            var flags = fcntl(fd, F_GETFD, 0);
            if (flags >= 0 && (flags & FD_CLOEXEC) == 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}
