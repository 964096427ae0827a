using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Probes;
using Datacrumbs.Specs.Security;

namespace Datacrumbs.Specs.SlurmJobs;

/// <summary>One real daemon (signed admission, policy continue) for the hostile values of Slurm prologs.</summary>
public sealed class SlurmRefusalDaemon : IAsyncLifetime
{
    public DaemonProcess Daemon { get; private set; } = null!;
    /// <summary>Probes signed for dcbob, owned by dcbob: good, but not for a job of dcalice.</summary>
    public string BobsProbes { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Daemon = await SignedDaemon.StartAsync();
        BobsProbes = Path.Combine(Daemon.WorkDir, "bobs-probes.json.gz");
        ProbeFixtures.WriteFile(BobsProbes, ProbeFixtures.SignFor(TestUsers.Bob.Uid, "dcbob", ProbeFixtures.Secret(DaemonProcess.SecretHex), validity: TimeSpan.FromDays(1)), 0b110_100_100);
        await ProbeFixtures.ChownAsync(BobsProbes, "dcbob");
    }

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
    }
}

/// <summary>
/// The SPANK plugin's values are user input: the daemon refuses them as it refuses a jobspec's,
/// and the hook hears the failure with the failure policy's exit code (10: the job runs
/// untraced) and one line that names the problem. Slurm's own values (SLURM_JOB_ID,
/// SLURM_JOB_UID) that are not what slurmd gives are usage errors (exit 2).
/// </summary>
public sealed class SlurmRefusalSpec(SlurmRefusalDaemon node) : IClassFixture<SlurmRefusalDaemon>
{
    private DaemonProcess Daemon => node.Daemon;

    private Dictionary<string, string?> Asking(JobId job, string? probeFile) =>
        SlurmHook.Traced(Daemon.Socket, job, TestUsers.Alice, probeFile!);

    [Theory]
    [InlineData("probes.json.gz", "the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) is not an absolute path: 'probes.json.gz'")]
    [InlineData("/tmp/p\nDATACRUMBS_USER=root", "the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) contains a control character (\\x0a): '/tmp/p\\x0aDATACRUMBS_USER=root'")]
    [InlineData(null, "no probe file was given (SPANK_DATACRUMBS_PROBE_FILE is empty): submit with --datacrumbs-probe-file=/absolute/path")]
    [InlineData("/nonexistent/probes.json.gz", "/nonexistent/probes.json.gz")]
    public async Task A_hostile_or_unusable_probe_file_fails_tracing_with_a_line_naming_it_and_leaves_nothing(string? probeFile, string problem)
    {
        var job = SlurmHook.NewJob();
        var prolog = await SlurmHook.PrologAsync(Asking(job, probeFile));

        Assert.True(prolog.ExitCode == 10, $"exit {prolog.ExitCode}: {prolog.Stdout}{prolog.Stderr}");
        Assert.StartsWith($"datacrumbs: {job}: FAILED: ", prolog.Stdout);
        Assert.Contains(problem, prolog.Stdout);
        Assert.Single(prolog.Stdout.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(Daemon.Leftovers(), f => f.Contains(job.ToString(), StringComparison.Ordinal));
        Assert.Equal(0, (await SlurmHook.EpilogAsync(Asking(job, probeFile))).ExitCode);
    }

    [Fact]
    public async Task Probes_signed_for_another_user_are_refused_by_the_same_admission_as_flux_jobs()
    {
        var job = SlurmHook.NewJob();
        var prolog = await SlurmHook.PrologAsync(Asking(job, node.BobsProbes));

        Assert.Equal(10, prolog.ExitCode);
        Assert.Contains($"issued to uid {TestUsers.Bob.Uid} (dcbob), job user is {TestUsers.Alice.Uid} (dcalice)", prolog.Stdout);
        Assert.DoesNotContain(Daemon.Leftovers(), f => f.Contains(job.ToString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("12a", "datacrumbsctl: SLURM_JOB_ID or --job: '12a' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("4294967296", "datacrumbsctl: SLURM_JOB_ID or --job: '4294967296' is not a Slurm job id (larger than 4294967295, Slurm's largest)")]
    [InlineData("-1", "datacrumbsctl: SLURM_JOB_ID or --job: '-1' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("1\u001b[2J", "datacrumbsctl: SLURM_JOB_ID or --job: '1\\x1b[2J' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("", "datacrumbsctl: no job: pass --job or set SLURM_JOB_ID")]
    public async Task A_job_id_slurmd_would_never_give_is_a_usage_error_naming_it(string jobId, string message)
    {
        var env = SlurmHook.Environment(Daemon.Socket, jobId, TestUsers.Alice.Uid.ToString(), "1", Daemon.ProbeFile);
        foreach (var run in new[] { SlurmHook.PrologAsync(env), SlurmHook.EpilogAsync(env) })
        {
            var result = await run;
            Assert.Equal(2, result.ExitCode);
            Assert.Equal(message, result.Stderr.TrimEnd('\n'));
        }
    }

    [Theory]
    [InlineData("dcalice", "datacrumbsctl: no valid job user: SLURM_JOB_UID or --uid must be a numeric uid, not 'dcalice'")]
    [InlineData("-1", "datacrumbsctl: no valid job user: SLURM_JOB_UID or --uid must be a numeric uid, not '-1'")]
    [InlineData("", "datacrumbsctl: no valid job user: pass --uid or set SLURM_JOB_UID to a numeric uid")]
    public async Task A_job_user_that_is_not_a_uid_is_a_usage_error(string uid, string message)
    {
        var env = SlurmHook.Environment(Daemon.Socket, "12", uid, "1", Daemon.ProbeFile);
        var prolog = await SlurmHook.PrologAsync(env);
        Assert.Equal(2, prolog.ExitCode);
        Assert.Equal(message, prolog.Stderr.TrimEnd('\n'));
    }

    [Fact]
    public async Task The_wire_refuses_a_prolog_that_mixes_the_two_schedulers()
    {
        var slurmWithFlux = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = "s12", Uid = TestUsers.Alice.Uid, FluxUri = "local:///run/flux/local" });
        Assert.Equal(ReplyStatus.BadRequest, slurmWithFlux.Status);
        Assert.Equal("job s12 is a Slurm job, but the prolog carries Flux's environment (FLUX_URI, FLUX_OWNER_USERID)", slurmWithFlux.Message);

        var fluxWithSpank = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = "12", Uid = TestUsers.Alice.Uid, Submitted = new SubmitOptions("1", "/p") });
        Assert.Equal(ReplyStatus.BadRequest, fluxWithSpank.Status);
        Assert.Equal("job fD is a Flux job, but the prolog carries Slurm's submit options (SPANK_DATACRUMBS_*): Flux jobs carry them in the jobspec", fluxWithSpank.Message);

        var beyond32Bits = await Daemon.SendAsync(new ControlRequest { Op = Operation.Prolog, Job = "s4294967296", Uid = TestUsers.Alice.Uid, Submitted = new SubmitOptions("1", "/p") });
        Assert.Equal(ReplyStatus.BadRequest, beyond32Bits.Status);
        Assert.Equal("'s4294967296' is not a Slurm job id (larger than 4294967295, Slurm's largest)", beyond32Bits.Message);
    }

    [Fact]
    public async Task Flux_options_are_not_taken_for_a_slurm_job_nor_slurm_options_for_a_flux_job()
    {
        var env = SlurmHook.Environment(Daemon.Socket, "12", TestUsers.Alice.Uid.ToString(), null, null);
        env["FLUX_JOB_ID"] = "fD";
        env["FLUX_JOB_USERID"] = TestUsers.Alice.Uid.ToString();
        var flux = await Run.CommandAsync(DaemonProcess.Ctl, ["prolog", "--probe-file", "/p", "--enable", "1"], TimeSpan.FromSeconds(60), env);
        Assert.Equal(2, flux.ExitCode);
        Assert.Equal("datacrumbsctl: --enable and --probe-file are for --scheduler slurm (a Flux job's request is in its jobspec)", flux.Stderr.TrimEnd('\n'));
        var unknown = await Run.CommandAsync(DaemonProcess.Ctl, ["prolog", "--scheduler", "pbs"], TimeSpan.FromSeconds(60), env);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("pbs", unknown.Stderr);
    }
}
