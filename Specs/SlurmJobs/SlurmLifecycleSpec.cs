using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;
using Datacrumbs.Specs.Security;

namespace Datacrumbs.Specs.SlurmJobs;

/// <summary>
/// Slurm jobs through the real daemon (signed probe admission, process backend, stand-in tracer)
/// and the real client as the Slurm hooks call it. The daemon's flux command is a stand-in that
/// records every call: a Slurm job must never make one.
/// </summary>
public sealed class SlurmLifecycleSpec : IAsyncLifetime
{
    private DaemonProcess Daemon = null!;
    private StandInFlux Flux = null!;
    private string[] _fluxDirAtStart = [];

    public async Task InitializeAsync()
    {
        Flux = await StandInFlux.CreateAsync("answer", """{"attributes":{"system":{}}}""");
        Daemon = await SignedDaemon.StartAsync(settings: new() { ["FluxCommand"] = Flux.Command });
        // The probes are signed for dcalice; admission reads them as the job's user.
        await ProbeFixtures.ChownAsync(Daemon.ProbeFile, "dcalice");
        _fluxDirAtStart = FluxDir();
    }

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
        Flux.Dispose();
    }

    /// <summary>Every file in the stand-in's dir: each flux call the daemon makes leaves one.</summary>
    private string[] FluxDir() => Directory.EnumerateFileSystemEntries(Flux.Dir).Select(Path.GetFileName).Order().ToArray()!;

    private static bool IsAlive(int pid) => ProcessIdentity.Of(pid) is not null;

    [Fact]
    public async Task A_slurm_job_is_traced_under_its_own_names_then_stopped_and_no_flux_command_ever_runs()
    {
        var job = SlurmHook.NewJob();
        var name = job.ToString();
        Assert.Matches("^s[0-9]+$", name);
        var env = SlurmHook.Traced(Daemon.Socket, job, TestUsers.Alice, Daemon.ProbeFile);

        var prolog = await SlurmHook.PrologAsync(env);
        Assert.True(prolog.ExitCode == 0, prolog.Stdout + prolog.Stderr);
        Assert.StartsWith($"datacrumbs: {name}: ready:", prolog.Stdout);

        // Every name derived from the id carries the Slurm form.
        var envFile = await File.ReadAllTextAsync(Path.Combine(Daemon.RunDir, $"datacrumbs-{name}.env"));
        Assert.Contains($"DATACRUMBS_JOB_ID=\"{name}\"", envFile);
        Assert.Contains($"DATACRUMBS_SERVICE_RUN_ID=\"{name}\"", envFile);
        Assert.Contains($"DATACRUMBS_UID=\"{TestUsers.Alice.Uid}\"", envFile);
        Assert.Contains("DATACRUMBS_USER=\"dcalice\"", envFile);
        Assert.True(File.Exists(Path.Combine(Daemon.RunDir, $"datacrumbs-{name}.ready")));
        var tracer = Daemon.TracerPid(job); // from datacrumbs-{name}.pid
        Assert.True(IsAlive(tracer));
        var status = await Daemon.CtlAsync(null, "status", "--json");
        Assert.Contains($"\"job\":\"{name}\",\"uid\":{TestUsers.Alice.Uid},\"user\":\"dcalice\",\"state\":\"Ready\"", status.Stdout);

        var epilog = await SlurmHook.EpilogAsync(env);
        Assert.True(epilog.ExitCode == 0, epilog.Stdout + epilog.Stderr);
        Assert.StartsWith($"datacrumbs: {name}: stopped:", epilog.Stdout);
        Assert.False(IsAlive(tracer));
        Assert.Empty(Daemon.Leftovers());
        Assert.Equal(_fluxDirAtStart, FluxDir());
    }

    [Fact]
    public async Task A_slurm_tracer_that_dies_after_ready_is_logged_and_no_flux_exception_is_tried()
    {
        var job = SlurmHook.NewJob();
        var env = SlurmHook.Traced(Daemon.Socket, job, TestUsers.Alice, Daemon.ProbeFile);
        Assert.Equal(0, (await SlurmHook.PrologAsync(env)).ExitCode);

        (await Run.CommandAsync("kill", "-KILL", Daemon.TracerPid(job).ToString())).EnsureSuccess("kill the tracer");
        await Daemon.WaitForLogAsync($"{job}: not told to the user (a Slurm job has no job exceptions)");

        var epilog = await SlurmHook.EpilogAsync(env);
        Assert.Equal(0, epilog.ExitCode);
        Assert.Empty(Daemon.Leftovers());
        Assert.Equal(_fluxDirAtStart, FluxDir());
    }

    [Fact]
    public async Task A_flux_job_and_a_slurm_job_with_the_same_number_are_two_jobs_with_two_tracers()
    {
        var slurm = SlurmHook.NewJob();
        var flux = new JobId(slurm.Value);
        await Flux.AnswersFor(flux.Value, """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":""" + $"\"{Daemon.ProbeFile}\"" + "}}}}");
        var slurmEnv = SlurmHook.Traced(Daemon.Socket, slurm, TestUsers.Alice, Daemon.ProbeFile);
        var fluxEnv = new Dictionary<string, string?>
        {
            ["DATACRUMBS_SOCKET"] = Daemon.Socket,
            ["FLUX_JOB_ID"] = flux.Format(JobIdFormat.F58),
            ["FLUX_JOB_USERID"] = TestUsers.Alice.Uid.ToString(),
        };

        var fluxProlog = await Run.CommandAsync(DaemonProcess.Ctl, ["prolog"], TimeSpan.FromSeconds(120), fluxEnv);
        Assert.True(fluxProlog.ExitCode == 0, fluxProlog.Stdout + fluxProlog.Stderr);
        Assert.Equal(0, (await SlurmHook.PrologAsync(slurmEnv)).ExitCode);

        var fluxTracer = Daemon.TracerPid(flux);
        var slurmTracer = Daemon.TracerPid(slurm);
        Assert.NotEqual(fluxTracer, slurmTracer);
        var status = (await Daemon.CtlAsync(null, "status", "--json")).Stdout;
        Assert.Contains($"\"job\":\"{flux}\"", status);
        Assert.Contains($"\"job\":\"{slurm}\"", status);
        // The Flux job's jobspec was read from flux; the Slurm job asked nothing of it.
        Assert.Single(Flux.JobspecReadsOf(flux.Value));

        // The Slurm job's epilog stops its own tracer only.
        Assert.Equal(0, (await SlurmHook.EpilogAsync(slurmEnv)).ExitCode);
        Assert.False(IsAlive(slurmTracer));
        Assert.True(IsAlive(fluxTracer));
        Assert.Contains($"datacrumbs-{flux}.ready", Daemon.Leftovers());

        var fluxEpilog = await Run.CommandAsync(DaemonProcess.Ctl, ["epilog"], TimeSpan.FromSeconds(120), fluxEnv);
        Assert.Equal(0, fluxEpilog.ExitCode);
        Assert.False(IsAlive(fluxTracer));
        Assert.Empty(Daemon.Leftovers());
    }
}
