using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>
/// An ordinary user who hoards connections is told "busy"; one who floods the public socket with
/// connects fills only that socket's backlog: the Flux hooks (root) have a socket of their own.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ConnectionSlotsSpec
{
    // Run as the user: opens N idle connections, then one more that asks for status; prints that
    // reply's length-prefixed JSON, and holds everything open until its stdin closes.
    private const string Hoarder = """
        import json, socket, struct, sys
        path, n = sys.argv[1], int(sys.argv[2])
        idle = []
        for _ in range(n):
            s = socket.socket(socket.AF_UNIX); s.connect(path); idle.append(s)
        last = socket.socket(socket.AF_UNIX); last.connect(path)
        body = json.dumps({"op": "Status"}).encode()
        last.sendall(struct.pack(">I", len(body)) + body)
        size = struct.unpack(">I", last.recv(4, socket.MSG_WAITALL))[0]
        print(last.recv(size, socket.MSG_WAITALL).decode(), flush=True)
        sys.stdin.read()
        """;

    // Run as the user: bursts of non-blocking connects (more than the listen backlog holds), all
    // closed again, until stdin closes; prints "flooding" once the first burst is out, and at the
    // end how many connects were accepted into the backlog and how many found it full.
    private const string Flooder = """
        import errno, socket, sys, threading
        path, done, counts = sys.argv[1], threading.Event(), {"queued": 0, "full": 0}
        def burst():
            held = []
            for _ in range(1000):
                s = socket.socket(socket.AF_UNIX); s.setblocking(False)
                try: s.connect(path); counts["queued"] += 1; held.append(s)
                except BlockingIOError: counts["full"] += 1; s.close()
            for s in held: s.close()
        burst()
        print("flooding", flush=True)
        def flood():
            while not done.is_set(): burst()
        t = threading.Thread(target=flood); t.start()
        sys.stdin.read(); done.set(); t.join()
        print(f"{counts['queued']} connects queued, {counts['full']} found the backlog full", flush=True)
        """;

    [Fact]
    public async Task A_user_flooding_the_socket_with_connects_cannot_keep_the_hooks_out()
    {
        // The flood takes most of the CPU: the hooks' requests must be answered, however slowly.
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["RequestReadSeconds"] = 30 });
        var start = new ProcessStartInfo("setpriv", ["--reuid", "dcbob", "--regid", "dcbob", "--init-groups", "--", "/usr/bin/python3", "-c", Flooder, daemon.Socket])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var flooder = Process.Start(start)!;
        try
        {
            Assert.Equal("flooding", await flooder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));

            // The hooks' client, as root on the hooks' socket, while the flood fills the public one's
            // backlog: every prolog and epilog is answered, none needs a retry.
            var clock = Stopwatch.StartNew();
            var jobs = Enumerable.Range(0, 10).Select(i => new JobId(7100 + (ulong)i)).ToList();
            var prologs = await Task.WhenAll(jobs.Select(j => daemon.CtlAsync(null, "--socket", daemon.HookSocket, "--retry-for", "0", "wrapper", "start", j.ToString(), "dcalice", daemon.ProbeFile)));
            Assert.All(prologs, r => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr));
            var epilogs = await Task.WhenAll(jobs.Select(j => daemon.CtlAsync(null, "--socket", daemon.HookSocket, "--retry-for", "0", "wrapper", "stop", j.ToString(), daemon.ProbeFile)));
            Assert.All(epilogs, r => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr));
            Console.WriteLine($"[flood] 10 lifecycles through the hooks' socket in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            flooder.StandardInput.Close();
            Console.WriteLine($"[flood] {await flooder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))}");
            await flooder.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Empty(daemon.Leftovers());
        daemon.DeleteWorkDir();
    }

    [Fact]
    public async Task A_user_holding_too_many_connections_is_told_busy_while_root_is_still_served()
    {
        await using var daemon = await DaemonProcess.StartAsync(settings: new() { ["MaxConnectionsPerUser"] = 3, ["RequestReadSeconds"] = 30 });
        var start = new ProcessStartInfo("setpriv", ["--reuid", "dcbob", "--regid", "dcbob", "--init-groups", "--", "/usr/bin/python3", "-c", Hoarder, daemon.Socket, "3"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var hoarder = Process.Start(start)!;
        try
        {
            var line = await hoarder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var busy = Frames.Decode(System.Text.Encoding.UTF8.GetBytes(line!), WireJson.Default.ControlReply);
            Assert.Equal(ReplyStatus.Unavailable, busy.Status);
            Assert.Contains($"uid {TestUsers.Bob.Uid}", busy.Message);

            // While dcbob holds every slot a user may have, the prolog path is served.
            var status = await daemon.SendAsync(new ControlRequest { Op = Operation.Status });
            Assert.Equal(ReplyStatus.Ok, status.Status);
            Assert.Equal(Outcome.Ready, (await daemon.SendAsync(WrapperRequests.Start(new JobId(7001), TestUsers.Alice.Uid, daemon.ProbeFile))).Outcome);
            Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(new JobId(7001)))).Outcome);
        }
        finally
        {
            hoarder.StandardInput.Close();
            await hoarder.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            daemon.DeleteWorkDir();
        }
    }
}
