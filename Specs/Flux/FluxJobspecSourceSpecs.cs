using Datacrumbs.Specs.Harness;
using Datacrumbs.Daemon.ProcessBackend;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.Flux;

public sealed class FluxJobspecSourceSpecs
{
    private static readonly JobId Job = new(1234); // ƒNH
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static string Jobspec(string datacrumbs) =>
        """{"resources":[],"tasks":[],"version":1,"attributes":{"system":{"duration":0,"environment":{"SECRET":"hunter2"},"datacrumbs":"""
        + datacrumbs + "}}}";

    private static JobRequest Request(string? uri = "local:///tmp/flux-abc/local-1") => new(Job, 0, new JobOrigin(uri));

    private static async Task<JobMetadata> ResolveAsync(StandInFlux flux, JobRequest? request = null, int max = FluxJobspecSource.DefaultMaxJobspecBytes)
    {
        var source = new FluxJobspecSource(new UserDirectory(), flux.Command, max);
        using var cts = new CancellationTokenSource(Generous);
        return await source.ResolveAsync(request ?? Request(), cts.Token);
    }

    private static async Task<string> FailureAsync(StandInFlux flux, JobRequest? request = null, int max = FluxJobspecSource.DefaultMaxJobspecBytes)
    {
        var e = await Assert.ThrowsAsync<JobMetadataException>(() => ResolveAsync(flux, request, max));
        return e.Message;
    }

    [Fact]
    public async Task A_requested_job_yields_its_probe_file_and_user()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"/home/alice/p.json.gz"}"""));
        var metadata = await ResolveAsync(flux);
        Assert.Equal(new JobMetadata("root", new TracingRequest("yes", "/home/alice/p.json.gz")), metadata);
    }

    [Fact]
    public async Task Flux_is_asked_for_the_jobspec_by_decimal_id_on_the_prologs_uri()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"/p"}"""));
        await ResolveAsync(flux);
        Assert.Equal(["job", "info", "1234", "jobspec"], flux.RecordedArgs);
        Assert.Equal("local:///tmp/flux-abc/local-1", flux.RecordedUri);
    }

    [Fact]
    public async Task Without_a_uri_flux_gets_none_and_finds_the_system_instance_itself()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"/p"}"""));
        await ResolveAsync(flux, Request(uri: null));
        Assert.Equal("<unset>", flux.RecordedUri);
    }

    [Theory]
    [InlineData("""{"resources":[],"tasks":[],"version":1,"attributes":{"system":{"duration":0}}}""")]
    [InlineData("""{"resources":[],"tasks":[],"version":1,"attributes":{}}""")]
    [InlineData("""{"resources":[],"tasks":[],"version":1}""")]
    public async Task A_job_without_the_attribute_is_not_requested(string jobspec)
    {
        using var flux = await StandInFlux.CreateAsync("answer", jobspec);
        Assert.Equal(new JobMetadata("root", null), await ResolveAsync(flux));
    }

    [Theory]
    [InlineData("""{"enable":"no","probe_file":"/p"}""")]
    [InlineData("""{"enable":"YES","probe_file":"/p"}""")]
    [InlineData("""{"enable":true,"probe_file":"/p"}""")]
    [InlineData("""{"probe_file":"/p"}""")]
    [InlineData("""{"enable":"no","probe_file":7}""")]
    [InlineData("""{"enable":"no","probe_file":""}""")] // what upstream's CLI plugin writes on every job
    public async Task Enable_other_than_yes_is_not_requested(string datacrumbs)
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec(datacrumbs));
        Assert.Null((await ResolveAsync(flux)).Tracing);
    }

    [Theory]
    [InlineData("\"yes\"", "job fNH: attributes.system.datacrumbs is a string, not an object")]
    [InlineData("[1]", "job fNH: attributes.system.datacrumbs is an array, not an object")]
    [InlineData("null", "job fNH: attributes.system.datacrumbs is null, not an object")]
    [InlineData("""{"enable":"yes"}""", "job fNH: attributes.system.datacrumbs has enable \"yes\" but no probe_file")]
    [InlineData("""{"enable":"yes","probe_file":null}""", "job fNH: attributes.system.datacrumbs.probe_file is null, not a string")]
    [InlineData("""{"enable":"yes","probe_file":["/p"]}""", "job fNH: attributes.system.datacrumbs.probe_file is an array, not a string")]
    [InlineData("""{"enable":"yes","probe_file":42}""", "job fNH: attributes.system.datacrumbs.probe_file is a number, not a string")]
    [InlineData("""{"enable":"yes","probe_file":""}""", "job fNH: attributes.system.datacrumbs.probe_file is empty: ''")]
    [InlineData("""{"enable":"yes","probe_file":"probes.json.gz"}""", "job fNH: attributes.system.datacrumbs.probe_file is not an absolute path: 'probes.json.gz', and the jobspec has no absolute attributes.system.cwd to resolve it against (submit with --datacrumbs-probe-file=$PWD/probes.json.gz)")]
    [InlineData("""{"enable":"yes","probe_file":"/p\nDATACRUMBS_USER=root"}""", "job fNH: attributes.system.datacrumbs.probe_file contains a control character (\\x0a): '/p\\x0aDATACRUMBS_USER=root'")]
    [InlineData("""{"enable":"yes","probe_file":"/p\u0085"}""", "job fNH: attributes.system.datacrumbs.probe_file contains a control character (\\x85): '/p\\x85'")]
    [InlineData("""{"enable":"yes","probe_file":"/p\udcff"}""", "job fNH: attributes.system.datacrumbs.probe_file is not valid Unicode text")]
    [InlineData("""{"enable":"yes","probe_file":"/a","probe_file":"/b"}""", "job fNH: attributes.system.datacrumbs has the key 'probe_file' twice")]
    public async Task A_malformed_request_is_a_failure_naming_the_job_and_the_problem(string datacrumbs, string message)
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec(datacrumbs));
        Assert.Equal(message, await FailureAsync(flux));
    }

    [Theory]
    [InlineData("/home/alice/run", "probes.json.gz", "/home/alice/run/probes.json.gz")]
    [InlineData("/home/alice/run/", "../p.json.gz", "/home/alice/run/../p.json.gz")] // read as the user: the kernel resolves the ..
    public async Task A_relative_path_as_upstreams_plugin_passes_it_is_resolved_against_the_jobs_cwd(string cwd, string path, string resolved)
    {
        var jobspec = """{"resources":[],"tasks":[],"version":1,"attributes":{"system":{"cwd":""" + $"\"{cwd}\"" + ""","datacrumbs":{"enable":"yes","probe_file":""" + $"\"{path}\"" + "}}}}";
        using var flux = await StandInFlux.CreateAsync("answer", jobspec);
        Assert.Equal(resolved, (await ResolveAsync(flux)).Tracing!.ProbeFile);
    }

    [Fact]
    public async Task A_relative_path_with_a_relative_cwd_is_refused()
    {
        using var flux = await StandInFlux.CreateAsync("answer", """{"attributes":{"system":{"cwd":"run","datacrumbs":{"enable":"yes","probe_file":"p"}}}}""");
        Assert.Contains("has no absolute attributes.system.cwd to resolve it against", await FailureAsync(flux));
    }

    [Fact]
    public async Task A_probe_path_at_path_max_is_refused()
    {
        var path = "/" + new string('a', 4095);
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec($$"""{"enable":"yes","probe_file":"{{path}}"}"""));
        var message = await FailureAsync(flux);
        Assert.StartsWith("job fNH: attributes.system.datacrumbs.probe_file is longer than 4095 bytes: '/aaa", message);
    }

    [Theory]
    [InlineData("""{"resources":[],"attributes":{"system":[]}}""", "job fNH: attributes.system is an array, not an object")]
    [InlineData("""{"resources":[],"attributes":"x"}""", "job fNH: attributes is a string, not an object")]
    [InlineData("[]", "job fNH: the jobspec is not a JSON object")]
    public async Task A_jobspec_of_the_wrong_shape_is_a_failure(string jobspec, string message)
    {
        using var flux = await StandInFlux.CreateAsync("answer", jobspec);
        Assert.Equal(message, await FailureAsync(flux));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"attributes\":")]
    [InlineData("not json")]
    public async Task Output_that_is_not_json_is_a_failure(string jobspec)
    {
        using var flux = await StandInFlux.CreateAsync("answer", jobspec);
        Assert.StartsWith("job fNH: the jobspec is not valid JSON (", await FailureAsync(flux));
    }

    [Fact]
    public async Task The_users_environment_never_reaches_a_message()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"rel"}"""));
        Assert.DoesNotContain("hunter2", await FailureAsync(flux));
    }

    [Fact]
    public async Task Flux_failing_is_a_failure_with_its_exit_code_and_first_stderr_line()
    {
        using var flux = await StandInFlux.CreateAsync("fail");
        Assert.Equal("job fNH: flux job info failed (exit 1): flux-job: 1234: job not found", await FailureAsync(flux));
    }

    [Fact]
    public async Task A_flux_command_that_cannot_run_is_a_failure_naming_it()
    {
        var source = new FluxJobspecSource(new UserDirectory(), "/nonexistent/bin/flux");
        var e = await Assert.ThrowsAsync<JobMetadataException>(() => source.ResolveAsync(Request(), CancellationToken.None));
        Assert.StartsWith("job fNH: cannot run '/nonexistent/bin/flux' to read the jobspec: ", e.Message);
    }

    [Fact]
    public async Task Endless_output_is_cut_at_the_limit_and_flux_is_killed()
    {
        using var flux = await StandInFlux.CreateAsync("flood");
        Assert.Equal("job fNH: flux job info printed more than 4096 bytes; jobspec not read", await FailureAsync(flux, max: 4096));
    }

    [Fact]
    public async Task Cancellation_kills_a_hanging_flux_and_its_children()
    {
        using var flux = await StandInFlux.CreateAsync("hang");
        var source = new FluxJobspecSource(new UserDirectory(), flux.Command);
        using var cts = new CancellationTokenSource();
        var resolving = source.ResolveAsync(Request(), cts.Token);
        var (pid, child) = await flux.WaitStartedAsync();
        var childExited = Processes.ExitOf(child);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolving.WaitAsync(Generous));

        Assert.False(Directory.Exists($"/proc/{pid}"), "the flux process was killed and reaped");
        await childExited.WaitAsync(Generous); // its child, which held the output pipe, was killed
    }

    [Fact]
    public async Task An_already_cancelled_token_starts_nothing()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"/p"}"""));
        var source = new FluxJobspecSource(new UserDirectory(), flux.Command);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.ResolveAsync(Request(), new CancellationToken(canceled: true)));
        Assert.False(File.Exists(Path.Combine(flux.Dir, "args")));
    }

    [Fact]
    public async Task A_uri_with_control_characters_is_refused_before_running_flux()
    {
        using var flux = await StandInFlux.CreateAsync("answer", Jobspec("""{"enable":"yes","probe_file":"/p"}"""));
        Assert.Equal("job fNH: the prolog's FLUX_URI is unusable: 'local:///x\\x0aEVIL=1'",
            await FailureAsync(flux, Request("local:///x\nEVIL=1")));
        Assert.False(File.Exists(Path.Combine(flux.Dir, "args")));
    }
}
