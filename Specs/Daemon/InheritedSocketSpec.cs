using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// The real datacrumbsd handed a listening socket as systemd hands it (LISTEN_FDS, by
/// systemd-socket-activate, without a whole systemd): it serves the socket named "hooks" at the
/// configured path and binds the one it was not given; a socket at another path is refused at
/// start with both paths named, since clients look at the configured one.
/// </summary>
public sealed class InheritedSocketSpec : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("dc-inherit-").FullName;
    private string RunDir => Path.Combine(_dir, "run");
    private string HookSocket => Path.Combine(RunDir, "hooks.sock");

    public InheritedSocketSpec()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(RunDir, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(_dir, "datacrumbsd.json"), JsonSerializer.Serialize(new
        {
            RunDir,
            Backend = "Process",
            Log = "Console",
            Tracer = new[] { Path.Combine(DaemonProcess.BinDir, "datacrumbs-standin-tracer") },
            Probes = new { RequireSignature = false },
            Metrics = new { TextfileDirectory = "" },
        }));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_socket_passed_as_hooks_is_served_where_it_is_and_the_other_is_bound_by_the_daemon()
    {
        using var daemon = Activated(HookSocket);
        await TriggerAsync(daemon, HookSocket); // systemd-socket-activate starts the daemon on the first connection
        var reply = await ControlClient.SendAsync(HookSocket, new ControlRequest { Op = Operation.Status }, Generous);
        Assert.Equal(ReplyStatus.Ok, reply.Status);
        Assert.Equal(ReplyStatus.Ok, (await ControlClient.SendAsync(Path.Combine(RunDir, "datacrumbsd.sock"), new ControlRequest { Op = Operation.Status }, Generous)).Status);

        (await Run.CommandAsync("kill", "-TERM", daemon.Process.Id.ToString())).EnsureSuccess("kill -TERM"); // as systemctl stop
        await daemon.Process.WaitForExitAsync().WaitAsync(Generous);
        Assert.Contains(daemon.Output(), l => l.Contains("listening on") && l.Contains(HookSocket) && l.Contains("from systemd"));
        Assert.True(File.Exists(HookSocket), "the daemon removed the socket file it was handed");
        Assert.False(File.Exists(Path.Combine(RunDir, "datacrumbsd.sock")), "the daemon left the socket it bound itself");
    }

    [Fact]
    public async Task A_socket_at_another_path_than_the_configured_one_stops_the_start_naming_both()
    {
        var elsewhere = Path.Combine(_dir, "elsewhere.sock");
        using var daemon = Activated(elsewhere);
        await TriggerAsync(daemon, elsewhere);

        await daemon.Process.WaitForExitAsync().WaitAsync(Generous);
        Assert.Equal(1, daemon.Process.ExitCode);
        Assert.Contains(daemon.Output(), l => l.Contains($"datacrumbsd: systemd passed the socket {elsewhere} where datacrumbsd is configured for {HookSocket}"));
    }

    private Activation Activated(string listen) => new(Process.Start(new ProcessStartInfo("systemd-socket-activate",
        ["--listen=" + listen, "--fdname=hooks", Path.Combine(DaemonProcess.BinDir, "datacrumbsd"), "--config", Path.Combine(_dir, "datacrumbsd.json")])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    })!);

    /// <summary>The first connection, which makes systemd-socket-activate exec the daemon, once the activator says it listens.</summary>
    private static async Task TriggerAsync(Activation daemon, string socketPath)
    {
        await daemon.SaidAsync($"Listening on {socketPath}");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(Generous);
    }

    private sealed class Activation : IDisposable
    {
        private readonly List<string> _output = [];
        public Process Process { get; }

        private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

        public Activation(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Seen(e.Data);
            process.ErrorDataReceived += (_, e) => Seen(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        private void Seen(string? line)
        {
            if (line is null) return;
            lock (_output)
            {
                _output.Add(line);
                foreach (var wait in _waits.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    wait.Seen.TrySetResult();
                    _waits.Remove(wait);
                }
            }
        }

        /// <summary>Completes once a line containing <paramref name="text"/> was printed (bounded by a generous deadline).</summary>
        public Task SaidAsync(string text)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_output)
            {
                if (_output.Any(l => l.Contains(text, StringComparison.Ordinal))) return Task.CompletedTask;
                _waits.Add((text, seen));
            }
            return seen.Task.WaitAsync(Generous);
        }

        public IReadOnlyList<string> Output() { lock (_output) return [.. _output]; }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
