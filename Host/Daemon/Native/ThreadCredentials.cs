using System.Runtime.InteropServices;

namespace Datacrumbs.Daemon.Native;

/// <summary>
/// Runs one short call as another user's effective uid and gid on a thread of its own, the rest
/// of the daemon staying root. For connecting to a socket whose server reads the peer's
/// credentials (SO_PEERCRED records the effective ids at connect time), as the Flux instance
/// owner. The raw setresuid/setresgid system calls change only the calling thread (glibc's
/// wrappers would change every thread of the process); the saved ids stay 0, so the thread gets
/// root back afterwards, and it ends right after.
/// </summary>
internal static partial class ThreadCredentials
{
    private const long SYS_setresuid = 117; // x86_64
    private const long SYS_setresgid = 119;
    private const long Unchanged = -1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a, long b, long c);

    /// <summary>
    /// Runs <paramref name="call"/> as <paramref name="uid"/>:<paramref name="gid"/> and returns its result, waiting at
    /// most <paramref name="timeout"/> (see <see cref="OnOwnThread{T}"/>).
    /// </summary>
    /// <exception cref="TimeoutException">The call did not return within <paramref name="timeout"/>.</exception>
    public static T RunAs<T>(uint uid, uint gid, Func<T> call, TimeSpan timeout, Action<T> abandoned)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("per-thread credentials are implemented for Linux x86_64 only");
        return OnOwnThread(() =>
        {
            Set(SYS_setresgid, gid, "setresgid");
            try
            {
                Set(SYS_setresuid, uid, "setresuid");
                try { return call(); }
                finally { Set(SYS_setresuid, 0, "setresuid back to root"); }
            }
            finally { Set(SYS_setresgid, 0, "setresgid back to root"); }
        }, timeout, abandoned, "as-uid-" + uid);
    }

    /// <summary>
    /// Runs a blocking call on a thread of its own and waits at most <paramref name="timeout"/> for it. A call still
    /// running then is left to finish, and whatever it returns later goes to <paramref name="abandoned"/> (to close a
    /// handle nobody will use): a native call that cannot be cancelled still cannot hold its caller for ever.
    /// </summary>
    /// <exception cref="TimeoutException">The call did not return within <paramref name="timeout"/>.</exception>
    public static T OnOwnThread<T>(Func<T> call, TimeSpan timeout, Action<T> abandoned, string name)
    {
        T? result = default;
        Exception? failure = null;
        var gate = new object();
        var gaveUp = false;
        var thread = new Thread(() =>
        {
            var done = false;
            try { result = call(); done = true; }
            catch (Exception e) { failure = e; }
            lock (gate)
                if (gaveUp && done) abandoned(result!);
        }) { IsBackground = true, Name = name };
        thread.Start();
        if (!thread.Join(timeout))
        {
            lock (gate)
            {
                if (thread.IsAlive)
                {
                    gaveUp = true;
                    throw new TimeoutException($"{name}: the call did not return within {timeout.TotalSeconds:0.#} s");
                }
            }
        }
        if (failure is not null) throw failure;
        return result!;
    }

    private static void Set(long call, uint id, string what)
    {
        if (syscall(call, Unchanged, id, Unchanged) != 0)
            throw new InvalidOperationException($"{what}({id}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
