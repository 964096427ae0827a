using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Slurm;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacrumbs.Specs.Metadata;

/// <summary>
/// A Slurm prolog's request (the SPANK plugin's values) read by the jobspec's rules, and Slurm jobs
/// routed to Slurm's source and notices only.
/// </summary>
public sealed class SlurmMetadataSourceSpecs
{
    private static readonly JobId Job = JobId.Slurm(12345);
    private static readonly SlurmMetadataSource Source = new(new UserDirectory());

    private static JobRequest Asking(string? enable, string? probeFile) =>
        new(Job, 0, Submitted: new SubmitOptions(enable, probeFile));

    [Theory]
    [InlineData(null, "/p.json.gz")]
    [InlineData("", "/p.json.gz")]
    [InlineData(null, "relative\nbad")] // not asked: the path is never looked at
    public async Task A_job_without_the_enable_variable_did_not_ask(string? enable, string? probeFile)
    {
        var metadata = await Source.ResolveAsync(Asking(enable, probeFile), CancellationToken.None);
        Assert.Equal(new JobMetadata("root", null), metadata);
        Assert.Null((await Source.ResolveAsync(new JobRequest(Job, 0), CancellationToken.None)).Tracing);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("yes")]
    public async Task Any_non_empty_enable_asks_and_the_probe_file_is_passed_on_for_admission(string enable)
    {
        var metadata = await Source.ResolveAsync(Asking(enable, "/home/alice/probes.json.gz"), CancellationToken.None);
        Assert.Equal(new JobMetadata("root", new TracingRequest("yes", "/home/alice/probes.json.gz")), metadata);
    }

    [Theory]
    [InlineData(null, "job s12345: tracing was asked for (SPANK_DATACRUMBS_ENABLE) but no probe file was given (SPANK_DATACRUMBS_PROBE_FILE is empty): submit with --datacrumbs-probe-file=/absolute/path")]
    [InlineData("", "job s12345: tracing was asked for (SPANK_DATACRUMBS_ENABLE) but no probe file was given (SPANK_DATACRUMBS_PROBE_FILE is empty): submit with --datacrumbs-probe-file=/absolute/path")]
    [InlineData("probes.json.gz", "job s12345: the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) is not an absolute path: 'probes.json.gz'")]
    [InlineData("/p\nDATACRUMBS_USER=root", "job s12345: the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) contains a control character (\\x0a): '/p\\x0aDATACRUMBS_USER=root'")]
    [InlineData("/p\u001b[2J", "job s12345: the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) contains a control character (\\x1b): '/p\\x1b[2J'")]
    public async Task Hostile_probe_files_are_refused_naming_the_variable_and_the_problem(string? probeFile, string message)
    {
        var e = await Assert.ThrowsAsync<JobMetadataException>(() => Source.ResolveAsync(Asking("1", probeFile), CancellationToken.None));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task A_probe_file_path_longer_than_path_max_or_not_unicode_is_refused()
    {
        var e = await Assert.ThrowsAsync<JobMetadataException>(() => Source.ResolveAsync(Asking("1", "/" + new string('a', 4096)), CancellationToken.None));
        Assert.StartsWith("job s12345: the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) is longer than 4095 bytes", e.Message);
        // A lone surrogate (theory data would not carry it intact).
        e = await Assert.ThrowsAsync<JobMetadataException>(() => Source.ResolveAsync(Asking("1", "/p\udcff"), CancellationToken.None));
        Assert.Equal("job s12345: the probe file (--datacrumbs-probe-file, SPANK_DATACRUMBS_PROBE_FILE) is not valid Unicode text (a lone surrogate): '/p\\udcff'", e.Message);
    }

    private sealed class Named(string name) : IJobMetadataSource
    {
        public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct) => Task.FromResult(new JobMetadata(name, null));
    }

    [Fact]
    public async Task Slurm_prologs_go_to_slurms_source_and_flux_prologs_to_fluxs()
    {
        var router = new MetadataRouter(new Named("inline"), new Dictionary<JobScheduler, IJobMetadataSource>
        {
            [JobScheduler.Flux] = new Named("flux"),
            [JobScheduler.Slurm] = new Named("slurm"),
        });
        Assert.Equal("slurm", (await router.ResolveAsync(Asking("1", "/p"), CancellationToken.None)).UserName);
        Assert.Equal("flux", (await router.ResolveAsync(new JobRequest(new JobId(12345), 0), CancellationToken.None)).UserName);
    }

    private sealed class Recorder : IJobNotices
    {
        public List<JobId> Told { get; } = [];
        public Task TellUserAsync(JobRequest request, string message) { Told.Add(request.Job); return Task.CompletedTask; }
        public Task ShowAsync(JobRequest request, TracingShown shown) { Told.Add(request.Job); return Task.CompletedTask; }
    }

    [Fact]
    public async Task Notices_of_a_slurm_job_never_reach_flux_and_a_scheduler_without_notices_tells_nobody()
    {
        var flux = new Recorder();
        var slurm = new Recorder();
        var router = new JobNoticesRouter(new Dictionary<JobScheduler, IJobNotices> { [JobScheduler.Flux] = flux, [JobScheduler.Slurm] = slurm });
        var shown = new TracingShown(ShownState.Traced);
        await router.TellUserAsync(Asking("1", "/p"), "the tracer ended");
        await router.ShowAsync(Asking("1", "/p"), shown);
        await router.TellUserAsync(new JobRequest(new JobId(12345), 0), "the tracer ended");
        Assert.Equal([Job, Job], slurm.Told);
        Assert.Equal([new JobId(12345)], flux.Told);

        var fluxOnly = new JobNoticesRouter(new Dictionary<JobScheduler, IJobNotices> { [JobScheduler.Flux] = flux });
        await fluxOnly.TellUserAsync(Asking("1", "/p"), "the tracer ended");
        Assert.Equal([new JobId(12345)], flux.Told);
    }

    [Fact]
    public async Task Slurms_notices_log_what_the_user_was_not_told_and_never_throw()
    {
        var notices = new SlurmJobNotices(NullLogger<SlurmJobNotices>.Instance);
        await notices.TellUserAsync(Asking("1", "/p"), "the tracer ended after it was ready");
        await notices.ShowAsync(Asking("1", "/p"), new TracingShown(ShownState.Traced));
    }
}
