using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;
using Datacrumbs.Specs.Systemd;

namespace Datacrumbs.Specs.FluxEndToEnd;

/// <summary>
/// Whole prolog/epilog paths as Flux drives them: the real hook scripts, the real
/// datacrumbsctl, a real datacrumbsd reading the jobspec through a stand-in `flux`, the
/// process backend and the stand-in tracer. The daemon's policy here is `continue`.
/// The real multi-user Flux proves the whole chain (Specs/RealFlux); the stand-in stays here for
/// what a real Flux cannot be made to do on demand: answer a malformed or hostile jobspec
/// (job-ingest's validator refuses those), fail `flux job info` or `flux job raise`, receive one
/// job's prologs in both id forms at once, and record the exact arguments of every raise.
/// </summary>
public sealed class FluxEndToEndSpecs(ContinueNode fixture) : IClassFixture<ContinueNode>
{
    private readonly FluxNode _node = fixture.Node;

    /// <summary>The job id as FLUX_JOB_ID carries it: ƒ under a UTF-8 locale, f under LANG=C.</summary>
    private static string Flux(JobId job, JobIdFormat form) => job.Format(form);

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[(stat.LastIndexOf(')') + 2)] != 'Z';

    private static void OneLine(Run.Result r)
    {
        Assert.Equal("", r.Stderr);
        Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(JobIdFormat.F58)]
    [InlineData(JobIdFormat.F58Plain)]
    public async Task A_traced_job_is_ready_after_the_prolog_and_its_epilog_leaves_nothing(JobIdFormat form)
    {
        var job = FluxNode.NewJob();
        var id = Flux(job, form);
        await _node.Submitted(job, _node.TracedJobspec());

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode);
        OneLine(prolog);
        Assert.StartsWith($"datacrumbs: {job}: ready:", prolog.Stdout);
        Assert.Equal([$"job info {job.Value} jobspec"], _node.Flux.JobspecReadsOf(job.Value));
        Assert.Equal(FluxNode.UriOf(id), _node.Flux.RecordedUriOf(job.Value)); // the prolog's broker, not the daemon's
        Assert.True(File.Exists(Path.Combine(_node.Daemon.RunDir, $"datacrumbs-{job}.ready")));
        var env = await File.ReadAllTextAsync(Path.Combine(_node.Daemon.RunDir, $"datacrumbs-{job}.env"));
        Assert.Contains($"DATACRUMBS_JOB_ID=\"{job}\"", env);
        Assert.Contains($"DATACRUMBS_UID=\"{_node.Uid}\"", env);
        Assert.Contains("DATACRUMBS_USER=\"dcalice\"", env);
        var tracer = _node.TracerPid(job);
        Assert.True(IsAlive(tracer));
        Assert.Empty(_node.RaisesFor(id));

        var epilog = await _node.EpilogAsync(id);

        Assert.Equal(0, epilog.ExitCode);
        OneLine(epilog);
        Assert.StartsWith($"datacrumbs: {job}: stopped:", epilog.Stdout);
        Assert.False(IsAlive(tracer));
        Assert.Empty(_node.LeftoversOf(job));
    }

    [Theory]
    [InlineData("no datacrumbs attribute", """{"version":1,"attributes":{"system":{"duration":0}},"tasks":[]}""")]
    [InlineData("no system attributes", """{"version":1,"attributes":{},"tasks":[]}""")]
    [InlineData("enable is not yes", """{"version":1,"attributes":{"system":{"datacrumbs":{"enable":"no","probe_file":"/p"}}}}""")]
    [InlineData("no enable at all", """{"version":1,"attributes":{"system":{"datacrumbs":{"probe_file":"/p"}}}}""")]
    public async Task A_job_that_did_not_ask_runs_untraced_without_a_word_to_the_user(string why, string jobspec)
    {
        _ = why;
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        await _node.Submitted(job, jobspec);

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode);
        Assert.Equal("", prolog.Stdout); // most jobs do not ask: their prologs add nothing to flux dmesg
        Assert.Empty(_node.LeftoversOf(job)); // no env file, no probe copy, no tracer
        Assert.False(File.Exists(_node.PidFile(job)));
        Assert.Empty(_node.RaisesFor(id));
        Assert.Equal(0, (await _node.EpilogAsync(id)).ExitCode);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not JSON", "{\"attributes\": {\"system\": ", "the jobspec is not valid JSON" },
        { "attribute not an object", FluxNode.Jobspec("\"yes\""), "attributes.system.datacrumbs is a string, not an object" },
        { "attribute an array", FluxNode.Jobspec("[\"enable\",\"yes\"]"), "attributes.system.datacrumbs is an array, not an object" },
        { "relative probe path", FluxNode.Jobspec("""{"enable":"yes","probe_file":"probes.json.gz"}"""), "probe_file is not an absolute path: 'probes.json.gz'" },
        { "no probe file", FluxNode.Jobspec("""{"enable":"yes"}"""), "has enable \"yes\" but no probe_file" },
        { "probe path a number", FluxNode.Jobspec("""{"enable":"yes","probe_file":42}"""), "probe_file is a number, not a string" },
        { "newline in probe path", FluxNode.Jobspec("""{"enable":"yes","probe_file":"/p\nDATACRUMBS_RUN_ID=x"}"""), "contains a control character (\\x0a)" },
        { "missing probe file", FluxNode.Jobspec("""{"enable":"yes","probe_file":"/nonexistent/probes.json.gz"}"""), "cannot read it: No such file or directory" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_request_fails_clearly_and_under_continue_the_job_runs_untraced_with_a_job_exception(
        string what, string jobspec, string problem)
    {
        _ = what;
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        await _node.Submitted(job, jobspec);

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode);
        OneLine(prolog);
        var line = prolog.Stdout.TrimEnd('\n');
        Assert.StartsWith($"datacrumbs: {job}: FAILED:", line);
        Assert.Contains(problem, line);
        var raise = Assert.Single(_node.RaisesFor(id));
        Assert.Equal(["job", "raise", "--severity=1", "--type=datacrumbs", "--message=" + line, id], raise);
        Assert.Empty(_node.LeftoversOf(job));
        Assert.False(File.Exists(_node.PidFile(job)));
    }

    [Fact]
    public async Task The_epilog_after_a_failed_prolog_succeeds_and_leaves_nothing()
    {
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        await _node.Submitted(job, _node.TracedJobspec());
        await _node.Daemon.TracerBehaves(job.ToString(), "fail");
        var prolog = await _node.PrologAsync(id);
        Assert.Equal(0, prolog.ExitCode);
        Assert.Contains("FAILED", prolog.Stdout);
        Assert.Single(_node.RaisesFor(id));

        var epilog = await _node.EpilogAsync(id);

        Assert.Equal(0, epilog.ExitCode);
        OneLine(epilog);
        Assert.StartsWith($"datacrumbs: {job}: stopped:", epilog.Stdout);
        Assert.Empty(_node.LeftoversOf(job));
    }

    [Fact]
    public async Task Four_prologs_of_one_job_on_one_node_start_one_tracer_and_all_let_the_job_run()
    {
        var job = FluxNode.NewJob();
        await _node.Submitted(job, _node.TracedJobspec());
        // Brokers of one instance share a locale, but accept both forms arriving together.
        string[] ids = [Flux(job, JobIdFormat.F58), Flux(job, JobIdFormat.F58Plain), Flux(job, JobIdFormat.F58), Flux(job, JobIdFormat.F58Plain)];

        var prologs = await Task.WhenAll(ids.Select(id => _node.PrologAsync(id)));

        Assert.All(prologs, p => Assert.Equal(0, p.ExitCode));
        Assert.All(prologs, p => Assert.StartsWith($"datacrumbs: {job}: ready:", p.Stdout));
        Assert.Single(Directory.EnumerateFiles(_node.Daemon.RunDir, $"datacrumbs-{job}.pid"));
        Assert.Single(_node.Flux.JobspecReadsOf(job.Value)); // one lifecycle: the jobspec was read once
        var tracer = _node.TracerPid(job);

        var epilogs = await Task.WhenAll(ids.Select(id => _node.EpilogAsync(id)));

        Assert.All(epilogs, e => Assert.Equal(0, e.ExitCode));
        Assert.False(IsAlive(tracer));
        Assert.Empty(_node.LeftoversOf(job));
    }

    [Fact]
    public async Task SIGTERM_during_the_prolog_stops_what_was_started_and_the_hook_exits_143()
    {
        var job = FluxNode.NewJob();
        await _node.Submitted(job, _node.TracedJobspec());
        await _node.Daemon.TracerBehaves(job.ToString(), "never-ready");

        var (hook, stdout) = _node.StartProlog(Flux(job, JobIdFormat.F58));
        using (hook)
        {
            await FileEvents.WaitAsync(_node.PidFile(job), exists: true, FluxNode.Generous); // the tracer runs, not ready
            var tracer = _node.TracerPid(job);
            var tracerExited = Processes.ExitOf(tracer);

            (await Run.CommandAsync("kill", "-TERM", hook.Id.ToString())).EnsureSuccess("kill");
            await hook.WaitForExitAsync().WaitAsync(FluxNode.Generous);

            Assert.Equal(143, hook.ExitCode);
            Assert.Equal($"datacrumbs: {job}: prolog interrupted by SIGTERM; asked the daemon to stop tracing (epilog exit 0)\n", await stdout);
            await tracerExited.WaitAsync(FluxNode.Generous); // the tracer was stopped
            Assert.Empty(_node.LeftoversOf(job));
        }

        // Flux then runs the real epilog: it meets nothing and succeeds.
        var epilog = await _node.EpilogAsync(Flux(job, JobIdFormat.F58));
        Assert.Equal(0, epilog.ExitCode);
        Assert.Empty(_node.LeftoversOf(job));
    }

    [Fact]
    public async Task A_failing_flux_job_info_is_named_in_the_job_exception()
    {
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        await _node.Flux.BehavesFor(job.Value, "fail");

        var prolog = await _node.PrologAsync(id);

        Assert.Equal(0, prolog.ExitCode);
        Assert.Contains("flux job info failed (exit 1): flux-job: 1234: job not found", prolog.Stdout);
        Assert.DoesNotContain("second line", prolog.Stdout);
        var raise = Assert.Single(_node.RaisesFor(id));
        Assert.Contains("flux job info failed (exit 1)", raise[4]);
        Assert.Empty(_node.LeftoversOf(job));
    }

    [Fact]
    public async Task A_raise_that_fails_is_noted_and_the_job_still_runs()
    {
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        await _node.Submitted(job, FluxNode.Jobspec("\"yes\""));
        await File.WriteAllTextAsync(Path.Combine(_node.Flux.Dir, "rc.raise"), "1");
        try
        {
            var prolog = await _node.PrologAsync(id);
            Assert.Equal(0, prolog.ExitCode);
            Assert.EndsWith("[job exception not raised: flux job raise exit 1]\n", prolog.Stdout);
        }
        finally
        {
            File.Delete(Path.Combine(_node.Flux.Dir, "rc.raise"));
        }
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("continue", 0)]
    [InlineData("fail", 1)]
    public async Task With_the_daemon_down_the_prolog_follows_the_hooks_policy(string? policy, int epilogExit)
    {
        var job = FluxNode.NewJob();
        var id = Flux(job, JobIdFormat.F58);
        var nowhere = Path.Combine(_node.Daemon.WorkDir, "no-daemon", "datacrumbsd.sock");
        await _node.Flux.AnswersFor(id, _node.TracedJobspec()); // as the hook asks; a job that did not ask would pass without a word (DownDaemonSpecs)

        var prolog = await _node.PrologAsync(id, policy, nowhere);

        Assert.Equal(0, prolog.ExitCode); // under fail too: the fatal exception cancels the job, no node is drained
        OneLine(prolog);
        // The job named, in the one form; the node named; the client's own line after.
        Assert.StartsWith($"datacrumbs: {job}: failed: tracing unavailable on {Environment.MachineName}: the datacrumbs daemon is not running ({job}: cannot reach the daemon", prolog.Stdout);
        Assert.Contains("no such socket", prolog.Stdout);
        var raise = Assert.Single(_node.RaisesFor(id));
        Assert.Equal("--message=" + prolog.Stdout.TrimEnd('\n'), raise[4]);
        if (policy != "fail")
        {
            Assert.EndsWith("(job runs untraced)\n", prolog.Stdout);
            Assert.Equal("--severity=1", raise[2]);
        }
        else
        {
            Assert.EndsWith("(on-failure=fail: job canceled)\n", prolog.Stdout);
            Assert.Equal("--severity=0", raise[2]);
        }

        // The epilog cannot confirm anything either: it only drains the node under fail.
        var epilog = await _node.EpilogAsync(id, policy, nowhere);
        Assert.Equal(epilogExit, epilog.ExitCode);
        Assert.StartsWith($"datacrumbs: {job}: cannot reach the daemon", epilog.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_node.HookTmp));
    }
}
