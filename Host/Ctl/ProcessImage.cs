using System.Runtime.InteropServices;

namespace Datacrumbs.Ctl;

/// <summary>
/// Replaces this process with another program (execv), keeping its pid, its standard streams and
/// the environment it was given byte for byte, plus the variables named. The Flux job-manager
/// waits for the pid it started, so a hook that hands over by exec stays the same hook to Flux.
/// </summary>
internal static unsafe partial class ProcessImage
{
    private const int SIGPIPE = 13;

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    private static partial int ExecV(byte* path, byte** argv);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);

    /// <summary>Runs <paramref name="program"/> in place of this process; returns only when it could not, with the reason.</summary>
    public static string Replace(string program, IReadOnlyList<string> args, IEnumerable<KeyValuePair<string, string>> extraEnvironment)
    {
        // The native environment, not .NET's copy: what the job-manager passed goes on unchanged.
        foreach (var (name, value) in extraEnvironment)
            if (SetEnv(name, value, 1) != 0) return $"setenv {name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
        // .NET ignores SIGPIPE; an ignored signal stays ignored across exec, a shell script expects the default.
        Signal(SIGPIPE, 0);
        var strings = new nint[args.Count + 2];
        try
        {
            strings[0] = Marshal.StringToCoTaskMemUTF8(program);
            for (var i = 0; i < args.Count; i++) strings[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
            fixed (nint* argv = strings) ExecV((byte*)strings[0], (byte**)argv);
            return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        finally
        {
            foreach (var s in strings) Marshal.FreeCoTaskMem(s);
        }
    }
}
