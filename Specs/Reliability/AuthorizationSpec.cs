using System.Text.Json;
using Datacrumbs.Daemon.Native;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// Who may do what, with the real users dcalice, dcbob and flux (the configured
/// caller) running the real datacrumbsctl: ordinary users cannot start or stop tracing for any
/// job and see only their own status rows; the daemon refuses a run dir others could write.
/// </summary>
public sealed class AuthorizationSpec() : DaemonSpec(new() { ["AllowedCallers"] = new[] { "flux" }, ["HookSocketGroup"] = "flux" })
{
    [Fact]
    public async Task The_hooks_socket_admits_root_and_the_hook_group_only()
    {
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(Daemon.HookSocket));
        var owner = (await Run.CommandAsync("stat", "-c", "%U:%G", Daemon.HookSocket)).EnsureSuccess("stat");
        Assert.Equal("root:flux", owner.Stdout.Trim());

        var bob = await Daemon.CtlAsync("dcbob", "--socket", Daemon.HookSocket, "status");
        Assert.Equal(3, bob.ExitCode);
        Assert.Contains("permission denied", bob.Stderr);

        var start = await Daemon.CtlAsync("flux", "--socket", Daemon.HookSocket, "wrapper", "start", "8010", "dcalice", Daemon.ProbeFile);
        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        var stop = await Daemon.CtlAsync("flux", "--socket", Daemon.HookSocket, "wrapper", "stop", "8010", Daemon.ProbeFile);
        Assert.True(stop.ExitCode == 0, stop.Stdout + stop.Stderr);
        Assert.Empty(Daemon.Leftovers());
    }

    public static TheoryData<string, string[], string> OtherPeoplesJobs => new()
    {
        { "dcbob", ["prolog", "--job", "8001", "--uid", "{uid:dcalice}"], "uid {uid:dcbob} may not prolog" },
        { "dcbob", ["epilog", "--job", "8001"], "uid {uid:dcbob} may not epilog" },
        { "dcbob", ["wrapper", "start", "8001", "dcalice", "PROBES"], "uid {uid:dcbob} may not prolog" },
        { "dcbob", ["wrapper", "stop", "8001", "PROBES"], "uid {uid:dcbob} may not epilog" },
        { "dcalice", ["prolog", "--job", "8001", "--uid", "{uid:dcalice}"], "uid {uid:dcalice} may not prolog" }, // not even for a job of one's own
        { "dcalice", ["epilog", "--job", "8001"], "uid {uid:dcalice} may not epilog" },
    };

    [Theory]
    [MemberData(nameof(OtherPeoplesJobs))]
    public async Task An_ordinary_user_cannot_start_or_stop_tracing(string user, string[] args, string expected)
    {
        var job = new JobId(8001);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);

        var result = await Daemon.CtlAsync(user, args.Select(a => a == "PROBES" ? Daemon.ProbeFile : TestUsers.Expand(a)).ToArray());

        Assert.Equal(4, result.ExitCode);
        Assert.Contains(TestUsers.Expand(expected), result.Stderr);
        Assert.Contains("only root and the Flux instance owner may start or stop tracing", result.Stderr);
        var status = await Daemon.SendAsync(new ControlRequest { Op = Operation.Status });
        Assert.Equal(LifecycleState.Ready, Assert.Single(status.Jobs!).State); // untouched
        Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
    }

    [Fact]
    public async Task The_configured_caller_may_start_and_stop_tracing_for_any_user()
    {
        var start = await Daemon.CtlAsync("flux", "wrapper", "start", "8002", "dcalice", Daemon.ProbeFile);
        Assert.Equal(0, start.ExitCode);
        Assert.Contains($"datacrumbs: {new JobId(8002)}: ready:", start.Stdout);

        var stop = await Daemon.CtlAsync("flux", "wrapper", "stop", "8002", Daemon.ProbeFile);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("stopped", stop.Stdout);
        Assert.Empty(Daemon.Leftovers());
    }

    [Fact]
    public async Task Ordinary_users_see_only_their_own_status_rows_and_the_caller_sees_all()
    {
        var alices = new JobId(8003);
        var bobs = new JobId(8004);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(alices, TestUsers.Alice.Uid, Daemon.ProbeFile))).Outcome);
        Assert.Equal(Outcome.Ready, (await Daemon.SendAsync(WrapperRequests.Start(bobs, TestUsers.Bob.Uid, Daemon.ProbeFile))).Outcome);

        var bob = await Daemon.CtlAsync("dcbob", "status", "--json");
        var alice = await Daemon.CtlAsync("dcalice", "status", "--json");
        var flux = await Daemon.CtlAsync("flux", "status", "--json");

        Assert.Equal([bobs.ToString()], Jobs(bob));
        Assert.Equal([alices.ToString()], Jobs(alice));
        Assert.Equal([alices.ToString(), bobs.ToString()], Jobs(flux).Order());
        foreach (var job in new[] { alices, bobs }) Assert.Equal(Outcome.Stopped, (await Daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);

        static IEnumerable<string> Jobs(Run.Result status)
        {
            Assert.Equal(0, status.ExitCode);
            using var json = JsonDocument.Parse(status.Stdout);
            var rows = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement : json.RootElement.GetProperty("jobs");
            return rows.EnumerateArray().Select(r => r.GetProperty("job").GetString()!).ToList();
        }
    }

    [Fact]
    public void The_socket_is_open_to_all_and_the_run_dir_writable_by_root_only()
    {
        var socket = FileStatus.Of(Daemon.Socket);
        Assert.Equal(0u, socket.Uid);
        Assert.Equal((UnixFileMode)0b110_110_110, socket.Mode); // anyone may ask; SO_PEERCRED decides what they may do
        var runDir = FileStatus.Of(Daemon.RunDir);
        Assert.Equal(0u, runDir.Uid);
        Assert.Equal((UnixFileMode)0b111_101_101, runDir.Mode);
    }

    public static TheoryData<string, string> UnsafeRunDirs => new()
    {
        { "owned by dcalice", "is owned by uid {uid:dcalice}, not by the daemon's uid 0; fix with: chown 0" },
        { "mode 0777", "is writable by group or others (mode 777); fix with: chmod 755" },
        { "mode 0775", "is writable by group or others (mode 775); fix with: chmod 755" },
        { "a symlink", "is not a directory (a symlink or a file is there); remove it or choose another RunDir" },
    };

    [Theory]
    [MemberData(nameof(UnsafeRunDirs))]
    public async Task The_daemon_refuses_to_start_on_a_run_dir_others_could_write(string what, string expected)
    {
        var workDir = Directory.CreateTempSubdirectory("datacrumbs-unsafe-").FullName;
        try
        {
            var runDir = Path.Combine(workDir, "run");
            Directory.CreateDirectory(runDir);
            switch (what)
            {
                case "owned by dcalice": (await Run.CommandAsync("chown", "dcalice", runDir)).EnsureSuccess("chown"); break;
                case "mode 0777": File.SetUnixFileMode(runDir, (UnixFileMode)0b111_111_111); break;
                case "mode 0775": File.SetUnixFileMode(runDir, (UnixFileMode)0b111_111_101); break;
                case "a symlink": Directory.Delete(runDir); File.CreateSymbolicLink(runDir, "/tmp"); break;
            }
            var config = Path.Combine(workDir, "datacrumbsd.json");
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["RunDir"] = runDir, ["Backend"] = "Process", ["Log"] = "Console",
                ["Probes"] = new Dictionary<string, object> { ["RequireSignature"] = false },
            }));

            var result = await Run.CommandAsync(Path.Combine(DaemonProcess.BinDir, "datacrumbsd"), ["--config", config], TimeSpan.FromSeconds(30));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"run dir {runDir} {TestUsers.Expand(expected)}", result.Stderr);
            Assert.False(File.Exists(Path.Combine(runDir, "datacrumbsd.sock")));
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }
}
