using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;

namespace Datacrumbs.Specs.Security;

/// <summary>
/// A real munged of a spec's own: its own random key, socket, pid, log and seed files in a temp dir,
/// in the foreground, killed at the end. It never touches the system's munged, key or socket: every
/// path is given on its command line. Credentials are made with the real <c>munge</c> program, run as
/// the user they are for, so munged vouches for that user exactly as on a cluster.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MungedUnderTest : IDisposable
{
    private readonly ProbeFixtures.TempDir _dir = ProbeFixtures.NewDir(); // 0755: every user reaches the socket
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MungedUnderTest()
    {
        // munged wants a key of its owner's (root's), readable by nobody else.
        ProbeFixtures.WriteFile(_dir["munge.key"], RandomNumberGenerator.GetBytes(1024), 0b100_000_000);
        var psi = new ProcessStartInfo("munged") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--foreground", $"--socket={Socket}", $"--key-file={_dir["munge.key"]}", $"--log-file={_dir["munged.log"]}",
                     $"--pid-file={_dir["munged.pid"]}", $"--seed-file={_dir["munged.seed"]}", "--num-threads=2" })
            psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"munged exited: {Output}"));
        _process.Start();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string Socket => _dir["munge.socket"];

    public string Output { get { lock (_output) return _output.ToString(); } }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        // Logged once the socket listens and the workers that answer it exist.
        if (line.Contains("work threads", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    public static async Task<MungedUnderTest> StartAsync()
    {
        var munged = new MungedUnderTest();
        try { await munged._ready.Task.WaitAsync(TimeSpan.FromSeconds(60)); }
        catch
        {
            munged.Dispose();
            throw;
        }
        return munged;
    }

    /// <summary>A credential made by <paramref name="user"/> (the real munge program under setpriv) carrying <paramref name="payload"/>.</summary>
    public async Task<string> CredentialAsync(string user, string payload)
    {
        var made = await Run.CommandAsync("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", "munge", $"--socket={Socket}", $"--string={payload}"],
            TimeSpan.FromSeconds(120));
        made.EnsureSuccess($"munge as {user}");
        return made.Stdout.Trim();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
        _dir.Dispose();
    }
}
