using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Daemon;

/// <summary>An ordinary user who hoards connections is told "busy"; the Flux hooks (root) are still served.</summary>
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
            Assert.Contains("uid 1002", busy.Message);

            // While dcbob holds every slot a user may have, the prolog path is served.
            var status = await daemon.SendAsync(new ControlRequest { Op = Operation.Status });
            Assert.Equal(ReplyStatus.Ok, status.Status);
            Assert.Equal(Outcome.Ready, (await daemon.SendAsync(WrapperRequests.Start(new JobId(7001), 1001, daemon.ProbeFile))).Outcome);
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
