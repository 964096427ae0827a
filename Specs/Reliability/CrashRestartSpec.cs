using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// <see cref="CrashRounds"/> with the process backend: datacrumbsd as a plain process, SIGKILLed
/// and started again by the spec on the same run dir. Besides what the rounds check, no env,
/// ready, pid, temp file or probe copy is left in the run dir.
/// </summary>
public sealed class CrashRestartSpec(ITestOutputHelper output) : IAsyncLifetime, ICrashNode
{
    private string _workDir = null!;
    private string _probes = null!;
    private DaemonProcess? _daemon;

    private static readonly Dictionary<string, object> Settings = new()
    {
        // Ready leaves room for the stand-in's check of the probe file (a python3 start) besides its delay.
        ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 60, ["Ready"] = 5, ["Stop"] = 10 },
        ["KillAfterSeconds"] = 1,
    };

    public async Task InitializeAsync()
    {
        _workDir = Directory.CreateTempSubdirectory("datacrumbs-crash-").FullName;
        _probes = Path.Combine(_workDir, "probes.json.gz");
        await File.WriteAllBytesAsync(_probes, DaemonProcess.ValidProbes);
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
        foreach (var pid in TracerProcesses.Of(ControlDir)) // a failed run must not leave tracers
            await Run.CommandAsync("kill", "-KILL", pid.ToString());
        Directory.Delete(_workDir, recursive: true);
    }

    [Fact]
    public async Task Jobs_survive_twenty_random_daemon_kills_and_every_epilog_leaves_nothing()
    {
        _daemon = await DaemonProcess.StartAsync(_workDir, Settings);

        await new CrashRounds(this, output).RunAsync();

        Assert.Empty(_daemon.Leftovers());
    }

    private string ControlDir => Path.Combine(_workDir, "standin");

    ControlRequest ICrashNode.Prolog(JobId job) => WrapperRequests.Start(job, TestUsers.Alice.Uid, _probes);

    Task<ControlReply> ICrashNode.SendAsync(ControlRequest request) => _daemon!.SendAsync(request);

    Task ICrashNode.TracerBehavesAsync(JobId job, string words) => File.WriteAllTextAsync(Path.Combine(ControlDir, job.ToString()), words + "\n");

    Task ICrashNode.KillAsync()
    {
        _daemon!.Kill();
        return Task.CompletedTask;
    }

    async Task ICrashNode.RestartAsync() => _daemon = await _daemon!.RestartAsync();

    IReadOnlyList<int> ICrashNode.TracerProcesses() => TracerProcesses.Of(ControlDir);
}
