using System.Net.Sockets;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// A daemon that hangs holds a job no longer than the prolog hook's --timeout: the real prolog
/// hook and the real datacrumbsctl against a real Unix socket whose daemon never answers,
/// either after accepting (stuck serving) or before (stuck before accept, while systemd's
/// socket queues the connection). The job's fate then follows the hook's policy, with a line
/// that names the socket and the wait; a job that did not ask passes without a word.
/// </summary>
public sealed class HungDaemonHookSpecs : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private const int HookTimeout = 3;

    /// <summary>The stand-in flux: `job info ID jobspec` prints the file `jobspec`; `job raise` is recorded.</summary>
    private const string FakeFlux = """
        #!/bin/bash
        dir="$(dirname "$0")"
        if [ "$1 $2" = "job info" ]; then exec cat "$dir/jobspec"; fi
        printf '%s\n' "$@" >"$dir/raised"
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("dc-hung-").FullName;
    private string SocketPath => Path.Combine(_dir, "hooks.sock");

    public HungDaemonHookSpecs()
    {
        var flux = Path.Combine(_dir, "flux");
        File.WriteAllText(flux, FakeFlux.Replace("\r", "") + "\n");
        File.SetUnixFileMode(flux, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public enum Hang { AfterAccepting, BeforeAccepting }

    [Theory]
    [InlineData(Hang.AfterAccepting, "continue")]
    [InlineData(Hang.BeforeAccepting, "continue")]
    [InlineData(Hang.AfterAccepting, "fail")]
    [InlineData(Hang.BeforeAccepting, "fail")]
    public async Task A_hung_daemon_holds_a_job_that_asked_for_the_hooks_timeout_once_then_policy_decides_with_the_cause_named(Hang hang, string policy)
    {
        Jobspec(asks: true);
        using var daemon = new HungDaemon(SocketPath, hang);

        var run = await PrologAsync(policy);

        var noReply = $"datacrumbs: fNH: no reply from the daemon at {SocketPath} within {HookTimeout} s";
        Assert.Equal(0, run.ExitCode); // policy fail cancels through the exception, so no node is drained
        Assert.Equal(policy == "fail" ? $"{noReply} (on-failure=fail: job canceled)\n" : $"{noReply} (job runs untraced)\n", run.Stdout);
        Assert.Contains($"--severity={(policy == "fail" ? 0 : 1)}", Raised());
        Assert.Equal(1, await daemon.ConnectionsAsync()); // the wait was used up: no second call after it
    }

    [Theory]
    [InlineData(Hang.AfterAccepting)]
    [InlineData(Hang.BeforeAccepting)]
    public async Task A_job_that_did_not_ask_passes_a_hung_daemon_after_the_hooks_timeout_without_a_word(Hang hang)
    {
        Jobspec(asks: false);
        using var daemon = new HungDaemon(SocketPath, hang);

        var run = await PrologAsync("fail");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stdout + run.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "raised")), "an exception was raised for a job that did not ask for tracing");
        Assert.Equal(1, await daemon.ConnectionsAsync());
    }

    private Task<Run.Result> PrologAsync(string policy) =>
        Run.CommandAsync(Checkout.File("deploy", "flux", "datacrumbs_service_run.sh"),
            [$"--ctl={DaemonProcess.Ctl}", $"--socket={SocketPath}", $"--flux={Path.Combine(_dir, "flux")}", $"--on-failure={policy}", $"--timeout={HookTimeout}"],
            Generous, new Dictionary<string, string?>
            {
                ["FLUX_JOB_ID"] = "ƒNH",
                ["FLUX_JOB_USERID"] = TestUsers.Alice.Uid.ToString(),
                ["FLUX_URI"] = "local:///run/flux/local",
                ["TMPDIR"] = _dir,
            });

    private void Jobspec(bool asks) => File.WriteAllText(Path.Combine(_dir, "jobspec"),
        "{\"version\":1,\"attributes\":{\"system\":{\"cwd\":\"/home/u\"" +
        (asks ? ",\"datacrumbs\":{\"enable\":\"yes\",\"probe_file\":\"/p/probes.json.gz\"}" : "") + "}}}");

    private string Raised() => File.Exists(Path.Combine(_dir, "raised")) ? File.ReadAllText(Path.Combine(_dir, "raised")) : "(nothing raised)";

    /// <summary>A listening socket whose daemon never answers: it accepts and holds every connection, or never accepts at all.</summary>
    private sealed class HungDaemon : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly List<Socket> _held = [];
        private readonly CancellationTokenSource _stopAccepting = new();
        private readonly Task _accepting = Task.CompletedTask;

        public HungDaemon(string path, Hang hang)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(16);
            if (hang == Hang.AfterAccepting) _accepting = AcceptForeverAsync();
        }

        private async Task AcceptForeverAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptAsync(_stopAccepting.Token);
                    lock (_held) _held.Add(client);
                }
            }
            catch (OperationCanceledException) { /* counted */ }
        }

        /// <summary>How many connections the client made: those accepted, plus those still queued (taken now, without waiting).</summary>
        public async Task<int> ConnectionsAsync()
        {
            await _stopAccepting.CancelAsync();
            await _accepting.WaitAsync(Generous);
            var queued = 0;
            _listener.Blocking = false;
            try { while (true) { _listener.Accept().Dispose(); queued++; } }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { /* none left */ }
            lock (_held) return _held.Count + queued;
        }

        public void Dispose()
        {
            _listener.Dispose();
            lock (_held) foreach (var s in _held) s.Dispose();
            _stopAccepting.Dispose();
        }
    }
}
