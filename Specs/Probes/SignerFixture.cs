using System.Diagnostics;
using System.Text;
using Datacrumbs.Messages.Probes;
using static Datacrumbs.Specs.Probes.ProbeFixtures;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// A real <c>datacrumbs_sign_probes</c> process (the built assembly) on a real socket, with a temp
/// config, policy and root-only secret file (the runtime's format). Ready when it prints "listening on"; all its output is kept
/// so specs can check that the secret never appears.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignerFixture : IAsyncLifetime
{
    private readonly double _clientTimeoutSeconds;

    /// <summary>
    /// The signer the specs share gives a client 30 s to send its request: a cold `dotnet` client
    /// started as a new user on a loaded machine can take seconds (with 2 s, policy specs failed on
    /// a fresh machine). The spec of the timeout itself starts a signer of its own with 2 s.
    /// </summary>
    public SignerFixture() : this(30) { }

    // Not public: xunit wants one public constructor on a class fixture.
    internal SignerFixture(double clientTimeoutSeconds) => _clientTimeoutSeconds = clientTimeoutSeconds;

    public readonly TempDir Dir = NewDir();
    public string SecretHex { get; } = NewSecretHex();
    public string SocketPath => Dir["sock/signer.sock"];
    public string SecretFile => Dir["secret"];
    public ProbeSecret Secret { get; private set; } = null!;
    private Process? _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string BinaryDir => AppContext.BaseDirectory;

    /// <param name="extraMembers">Members put first into the configuration, each followed by a comma (e.g. tcp_listen).</param>
    public static string Config(string socket, string keyFile, double clientTimeoutSeconds = 30, string extraMembers = "") => $$"""
        {
          // a test site
          {{extraMembers}}
          "socket": "{{socket}}",
          "secret_file": "{{keyFile}}",
          "max_clients": 4,
          "client_timeout_seconds": {{clientTimeoutSeconds}},
          "policy": {
            "allowed_types": ["0", "2"],
            "allowed_binaries": ["/usr/bin/", "/opt/app/bin/app"],
            "custom_types": ["4"],
            "custom_groups": ["root"],
            "max_probes": 8,
            "max_functions": 64,
            "max_document_bytes": 65536,
            "validity_hours": 2
          }
        }
        """;

    public async Task InitializeAsync()
    {
        WriteSecretFile(SecretFile, SecretHex);
        Secret = ProbeSecret.LoadFile(SecretFile);
        File.WriteAllText(Dir["signer.json"], Config(SocketPath, SecretFile, _clientTimeoutSeconds));
        _process = Start(Dir["signer.json"], line =>
        {
            lock (_output) _output.AppendLine(line);
            if (line.StartsWith("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
        });
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the signer exited: {Output}"));
        await _listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public static Process Start(string config, Action<string> onLine)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(BinaryDir, "datacrumbs_sign_probes.dll"), "--config", config }) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        _process?.Dispose();
        Dir.Dispose();
    }
}
