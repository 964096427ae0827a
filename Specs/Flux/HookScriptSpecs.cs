using Datacrumbs.Daemon.ProcessBackend;
using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The prolog and epilog hook scripts and the service wrapper, run for real against a
/// stand-in datacrumbsctl (exit code per subcommand from rc.SUB, optional hang) and a
/// stand-in flux that records `flux job raise`. The lead's end-to-end specs drive the same
/// scripts through the real daemon.
/// </summary>
public sealed class HookScriptSpecs : IDisposable
{
    private static readonly string DeployDir = FindDeployDir();
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private readonly HookScratch _scratch = new();
    private string Dir => _scratch.Dir;
    private void WriteExecutable(string name, string text) => _scratch.WriteExecutable(name, text);
    private const string FakeFlux = HookScratch.FakeFlux;
    private string[] Calls => _scratch.Calls;
    private string[]? Raised => _scratch.Raised;
    private void Jobspec(string? enable) => _scratch.Jobspec(enable);
    private void ClientExits(string subcommand, int code) => _scratch.ClientExits(subcommand, code);
    private Dictionary<string, string?> Env(string? onFailure = null) => _scratch.Env(onFailure);

    public void Dispose() => _scratch.Dispose();

    private Task<Run.Result> HookAsync(string script, string? onFailure = null, params string[] args) =>
        Run.CommandAsync(Path.Combine(DeployDir, script), args, Generous, Env(onFailure));

    private static void OneLine(Run.Result r, string expected)
    {
        Assert.Equal(expected + "\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public async Task Prolog_ready_or_not_requested_passes_the_clients_line_through()
    {
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-0: from the fake prolog");
        Assert.Equal([$"prolog --retry-for 0 --timeout {TimeBudget.PrologClientWait.TotalSeconds}"], Calls);
        Assert.Null(Raised);
    }

    [Fact]
    public async Task Prolog_failure_under_continue_raises_a_non_fatal_exception_and_lets_the_job_run()
    {
        ClientExits("prolog", 10);
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-10: from the fake prolog (job runs untraced)");
        Assert.Equal(["job", "raise", "--severity=1", "--type=datacrumbs",
            "--message=datacrumbs: ƒNH: outcome-10: from the fake prolog (job runs untraced)", "ƒNH"], Raised ?? []);
    }

    [Fact]
    public async Task Prolog_failure_under_fail_cancels_the_job_with_a_fatal_exception_and_drains_nothing()
    {
        ClientExits("prolog", 1);
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(0, r.ExitCode); // non-zero would drain the node
        OneLine(r, "datacrumbs: ƒNH: outcome-1: from the fake prolog (on-failure=fail: job canceled)");
        Assert.Equal(["job", "raise", "--severity=0", "--type=datacrumbs",
            "--message=datacrumbs: ƒNH: outcome-1: from the fake prolog (on-failure=fail: job canceled)", "ƒNH"], Raised ?? []);
    }

    [Fact]
    public async Task Under_fail_a_cancel_that_cannot_be_raised_exits_1_so_the_job_still_does_not_run()
    {
        ClientExits("prolog", 1);
        File.WriteAllText(Path.Combine(Dir, "rc.flux"), "1");
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(1, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-1: from the fake prolog (on-failure=fail: job canceled) [job exception not raised: flux job raise exit 1]");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(4)]
    [InlineData(2)]
    public async Task Daemon_not_asked_under_continue_runs_the_job_untraced_and_says_why(int code)
    {
        ClientExits("prolog", code);
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(0, r.ExitCode);
        // No jobspec to read (the stand-in flux fails): in doubt, the job asked for tracing.
        var line = code == 3
            ? $"datacrumbs: fNH: failed: tracing unavailable on {Environment.MachineName}: the datacrumbs daemon is not running (ƒNH: outcome-3: from the fake prolog) (job runs untraced)"
            : $"datacrumbs: ƒNH: outcome-{code}: from the fake prolog (job runs untraced)";
        OneLine(r, line);
        Assert.NotNull(Raised);
        Assert.Equal("--message=" + line, Raised[4]);
    }

    [Theory]
    [InlineData("env")]
    [InlineData("option")]
    public async Task Daemon_not_asked_under_fail_cancels_the_job(string how)
    {
        ClientExits("prolog", 3);
        var r = how == "env"
            ? await HookAsync("datacrumbs_service_run.sh", onFailure: "fail")
            : await HookAsync("datacrumbs_service_run.sh", null, "--on-failure=fail");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, $"datacrumbs: fNH: failed: tracing unavailable on {Environment.MachineName}: the datacrumbs daemon is not running (ƒNH: outcome-3: from the fake prolog) (on-failure=fail: job canceled)");
        Assert.Equal("--severity=0", Raised?[2]);
    }

    [Fact]
    public async Task A_missing_client_is_reported_and_follows_the_policy()
    {
        var env = Env();
        env["DATACRUMBSCTL"] = "/nonexistent/datacrumbsctl";
        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_run.sh"), [], Generous, env);
        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: fNH: failed: cannot run /nonexistent/datacrumbsctl (exit 127) (job runs untraced)");
    }

    [Fact]
    public async Task A_failing_flux_job_raise_is_noted_on_the_same_line()
    {
        ClientExits("prolog", 10);
        File.WriteAllText(Path.Combine(Dir, "rc.flux"), "1");
        var r = await HookAsync("datacrumbs_service_run.sh");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-10: from the fake prolog (job runs untraced) [job exception not raised: flux job raise exit 1]");
    }

    [Fact]
    public async Task A_bad_policy_is_refused()
    {
        var r = await HookAsync("datacrumbs_service_run.sh", onFailure: "maybe");
        Assert.Equal(1, r.ExitCode);
        OneLine(r, "datacrumbs: fNH: prolog hook: on-failure must be continue or fail, not 'maybe'");
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task Sigterm_during_the_prolog_kills_the_client_tells_the_daemon_and_exits_143()
    {
        File.WriteAllText(Path.Combine(Dir, "hang"), "");
        await Run.CommandAsync("mkfifo", Path.Combine(Dir, "started"));
        var psi = new ProcessStartInfo(Path.Combine(DeployDir, "datacrumbs_service_run.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in Env()) psi.Environment[k] = v;
        using var hook = Process.Start(psi)!;
        var stdout = hook.StandardOutput.ReadToEndAsync();

        var clientPid = int.Parse((await Task.Run(() => File.ReadAllText(Path.Combine(Dir, "started"))).WaitAsync(Generous)).Trim());
        var clientExited = Processes.ExitOf(clientPid);

        (await Run.CommandAsync("kill", "-TERM", hook.Id.ToString())).EnsureSuccess("kill");
        await hook.WaitForExitAsync().WaitAsync(Generous);

        Assert.Equal(143, hook.ExitCode);
        Assert.Equal("datacrumbs: fNH: prolog interrupted by SIGTERM; asked the daemon to stop tracing (epilog exit 0)\n", await stdout);
        Assert.Equal([$"prolog --retry-for 0 --timeout {TimeBudget.PrologClientWait.TotalSeconds}", "epilog --timeout 30"], Calls);
        await clientExited.WaitAsync(Generous); // the hanging client was killed
        Assert.Empty(Directory.GetFiles(Dir, "datacrumbs-prolog.*"));
    }

    [Theory]
    [InlineData("datacrumbs_service_run.sh", "prolog")]
    [InlineData("datacrumbs_service_stop.sh", "epilog")]
    public async Task A_hook_run_through_a_link_finds_its_settings_beside_the_real_script(string script, string hook)
    {
        // As in a prolog.d/ or epilog.d/ directory: a link elsewhere, the shared settings only beside the target.
        var linkDir = Directory.CreateDirectory(Path.Combine(Dir, "prolog.d")).FullName;
        var link = Path.Combine(linkDir, "50-datacrumbs");
        File.CreateSymbolicLink(link, Path.Combine(DeployDir, script));
        var r = await Run.CommandAsync(link, [], Generous, Env());
        Assert.Equal(0, r.ExitCode);
        OneLine(r, $"datacrumbs: ƒNH: outcome-0: from the fake {hook}");
    }

    [Fact]
    public async Task A_client_that_never_ends_is_stopped_by_the_backstop_and_the_job_follows_the_policy()
    {
        File.WriteAllText(Path.Combine(Dir, "hang"), "");
        // --timeout=1: the client would have given up after 1 s; the hook's backstop gives it 10 more, then SIGTERM.
        var r = await HookAsync("datacrumbs_service_run.sh", null, "--timeout=1");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, $"datacrumbs: fNH: failed: {Path.Combine(Dir, "datacrumbsctl")} did not finish within 11 s (job runs untraced)");
        var clientPid = int.Parse(File.ReadAllText(Path.Combine(Dir, "started")).Trim());
        Assert.False(Directory.Exists($"/proc/{clientPid}"), "the wedged client is still running");
    }

    [Fact]
    public async Task Every_setting_works_from_the_command_line_alone_as_under_flux_imp()
    {
        // flux-imp passes only FLUX_* variables: no DATACRUMBS_* at all here.
        var env = new Dictionary<string, string?>
        {
            ["DATACRUMBSCTL"] = null, ["DATACRUMBS_FLUX"] = null, ["DATACRUMBS_ON_FAILURE"] = null,
            ["FLUX_JOB_ID"] = "ƒNH", ["TMPDIR"] = Dir, ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
        };
        // The daemon is down and the job asked: the hooks read the jobspec through --flux, then wait with --retry-for.
        ClientExits("prolog", 3);
        ClientExits("epilog", 3);
        Jobspec("yes");
        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_run.sh"),
            [$"--ctl={Path.Combine(Dir, "datacrumbsctl")}", "--socket=/run/x.sock", "--retry-for=2", $"--flux={Path.Combine(Dir, "flux")}",
             "--timeout=7", "--cancel-timeout=3", "--on-failure=fail"], Generous, env);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("prolog --socket /run/x.sock --retry-for 0 --timeout 7", Calls[0]);
        Assert.Equal("asks-tracing", Calls[1]);
        Assert.Matches(@"^prolog --socket /run/x\.sock --retry-for 2 --timeout [1-7]$", Calls[2]);
        Assert.Equal("--severity=0", Raised?[2]); // --on-failure=fail
        var e = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_stop.sh"),
            [$"--ctl={Path.Combine(Dir, "datacrumbsctl")}", "--socket=/run/x.sock", "--retry-for=2", "--timeout=9", $"--flux={Path.Combine(Dir, "flux")}"], Generous, env);
        Assert.Equal(0, e.ExitCode);
        Assert.Matches(@"^epilog --socket /run/x\.sock --retry-for 2 --timeout [1-9]$", Calls[^1]);
    }

    [Fact]
    public async Task Flux_is_found_through_FLUX_EXEC_PATH_when_it_is_not_on_PATH()
    {
        // flux-imp's PATH lacks a Flux under a prefix; FLUX_EXEC_PATH is <prefix>/libexec/flux/cmd.
        var prefix = Directory.CreateDirectory(Path.Combine(Dir, "prefix")).FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "libexec", "flux", "cmd"));
        Directory.CreateDirectory(Path.Combine(prefix, "bin"));
        File.Move(Path.Combine(Dir, "flux"), Path.Combine(prefix, "bin", "flux"));
        var env = Env();
        env["DATACRUMBS_FLUX"] = null;
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        env["FLUX_EXEC_PATH"] = Path.Combine(prefix, "libexec", "flux", "cmd");
        ClientExits("prolog", 10);

        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_run.sh"), [], Generous, env);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("--severity=1", File.ReadAllLines(Path.Combine(prefix, "bin", "raised"))[2]);
    }

    [Theory]
    [InlineData("0-1", "0", true)]
    [InlineData("0-1", "1", false)]
    [InlineData("[3,5-7]", "3", true)]
    [InlineData("3,5-7", "5", false)]
    public async Task Only_the_jobs_first_rank_tells_the_user_under_continue(string ranks, string mine, bool raises)
    {
        // The stand-in flux answers `flux getattr rank` from the file `rank`.
        WriteExecutable("flux", FakeFlux.Replace("dir=\"$(dirname \"$0\")\"", "dir=\"$(dirname \"$0\")\"\n[ \"$1\" = getattr ] && { cat \"$dir/rank\"; exit 0; }"));
        File.WriteAllText(Path.Combine(Dir, "rank"), mine + "\n");
        ClientExits("prolog", 10);
        var env = Env();
        env["FLUX_JOB_RANKS"] = ranks;

        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_run.sh"), [], Generous, env);

        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-10: from the fake prolog (job runs untraced)"); // every rank logs to flux dmesg
        Assert.Equal(raises, Raised is not null);
    }

    [Fact]
    public async Task Epilog_stopped_passes_the_clients_line_through()
    {
        var r = await HookAsync("datacrumbs_service_stop.sh");
        Assert.Equal(0, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-0: from the fake epilog");
        Assert.Equal([$"epilog --retry-for 0 --timeout {TimeBudget.EpilogClientWait.TotalSeconds}"], Calls);
        Assert.Null(Raised);
    }

    [Theory]
    [InlineData(3, null, 0, "")]
    [InlineData(5, null, 0, "")]
    [InlineData(3, "fail", 1, " (on-failure=fail: node drained)")]
    [InlineData(10, "fail", 0, "")]
    public async Task Epilog_failures_follow_the_policy_and_only_drain_when_asked(int code, string? policy, int exit, string suffix)
    {
        ClientExits("epilog", code);
        var r = await HookAsync("datacrumbs_service_stop.sh", onFailure: policy);
        Assert.Equal(exit, r.ExitCode);
        OneLine(r, $"datacrumbs: ƒNH: outcome-{code}: from the fake epilog{suffix}");
        Assert.Null(Raised);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("no")]   // upstream's CLI plugin writes {"enable":"no","probe_file":""} on every job
    public async Task With_the_daemon_down_a_job_that_did_not_ask_passes_prolog_and_epilog_at_once_without_a_word(string? enable)
    {
        ClientExits("prolog", 3);
        ClientExits("epilog", 3);
        Jobspec(enable);

        var prolog = await HookAsync("datacrumbs_service_run.sh", onFailure: "fail");
        var epilog = await HookAsync("datacrumbs_service_stop.sh", onFailure: "fail");

        Assert.Equal((0, "", ""), (prolog.ExitCode, prolog.Stdout, prolog.Stderr));
        Assert.Equal((0, "", ""), (epilog.ExitCode, epilog.Stdout, epilog.Stderr)); // exit 1 would drain the node
        // One call each, without the client's retry window: the daemon is not waited for.
        Assert.Equal([$"prolog --retry-for 0 --timeout {TimeBudget.PrologClientWait.TotalSeconds}", "asks-tracing",
                      $"epilog --retry-for 0 --timeout {TimeBudget.EpilogClientWait.TotalSeconds}", "asks-tracing"], Calls);
        Assert.Null(Raised);
    }

    [Fact]
    public async Task With_the_daemon_down_a_job_that_asked_waits_for_a_restart_then_is_told_tracing_is_unavailable()
    {
        ClientExits("prolog", 3);
        Jobspec("yes");

        var r = await HookAsync("datacrumbs_service_run.sh");

        Assert.Equal(0, r.ExitCode);
        var line = $"datacrumbs: fNH: failed: tracing unavailable on {Environment.MachineName}: the datacrumbs daemon is not running (ƒNH: outcome-3: from the fake prolog) (job runs untraced)";
        OneLine(r, line);
        Assert.Equal($"prolog --retry-for 0 --timeout {TimeBudget.PrologClientWait.TotalSeconds}", Calls[0]);
        Assert.Equal("asks-tracing", Calls[1]);
        Assert.Matches(@"^prolog --timeout \d+$", Calls[2]); // the client's own retry window, within what is left of the wait
        Assert.Equal(3, Calls.Length);
        Assert.Equal(["job", "raise", "--severity=1", "--type=datacrumbs", "--message=" + line, "ƒNH"], Raised ?? []);
    }

    [Fact]
    public async Task A_daemon_that_answers_is_asked_once_and_the_jobspec_is_not_read()
    {
        ClientExits("prolog", 10);
        Jobspec(null); // would let the job pass silently, were it read

        var r = await HookAsync("datacrumbs_service_run.sh");

        OneLine(r, "datacrumbs: ƒNH: outcome-10: from the fake prolog (job runs untraced)");
        Assert.Equal([$"prolog --retry-for 0 --timeout {TimeBudget.PrologClientWait.TotalSeconds}"], Calls);
    }

    [Fact]
    public async Task Epilog_that_could_not_stop_the_tracer_under_fail_drains_the_node()
    {
        ClientExits("epilog", 1);
        var r = await HookAsync("datacrumbs_service_stop.sh");
        Assert.Equal(1, r.ExitCode);
        OneLine(r, "datacrumbs: ƒNH: outcome-1: from the fake epilog (node drained)");
    }

    [Fact]
    public async Task Wrapper_passes_its_arguments_to_the_client()
    {
        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_wrapper"), ["start", "1", "dcalice", "/p.json.gz"], Generous, Env());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["wrapper start 1 dcalice /p.json.gz"], Calls);
    }

    [Theory]
    [InlineData]
    [InlineData("start")]
    [InlineData("start", "1")]
    [InlineData("restart", "1", "/p")]
    [InlineData("start", "1", "u", "/p", "extra")]
    public async Task Wrapper_usage_errors_print_help_and_call_nothing(params string[] args)
    {
        var r = await Run.CommandAsync(Path.Combine(DeployDir, "datacrumbs_service_wrapper"), args, Generous, Env());
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("usage: datacrumbs_service_wrapper start|stop JOBID [USER] PROBE_FILE", r.Stderr);
        Assert.Empty(Calls);
    }

    private static string FindDeployDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "deploy", "flux")))
                return Path.Combine(dir.FullName, "deploy", "flux");
        throw new InvalidOperationException("deploy/flux not found above " + AppContext.BaseDirectory);
    }
}
