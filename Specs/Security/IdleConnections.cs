using System.Diagnostics;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// A python3 process as a real user that connects to a Unix socket a number of times, says "held",
/// and sends nothing until it is killed: a user hoarding a server's connection slots.
/// </summary>
public static class IdleConnections
{
    private const string Script = """
        import socket, sys
        held = []
        for _ in range(int(sys.argv[2])):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            held.append(s)
        print("held", flush=True)
        sys.stdin.read()
        """;

    /// <summary>Returns once every connection is made; kill the process to let them go.</summary>
    public static async Task<Process> HoldAsync(string socket, string user, int count)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", "/usr/bin/python3", "-c", Script, socket, count.ToString() })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line != "held") throw new InvalidOperationException($"the connection holder said '{line}'");
        return process;
    }
}
