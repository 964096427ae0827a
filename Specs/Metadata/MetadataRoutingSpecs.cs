using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.Metadata;

public sealed class MetadataRoutingSpecs
{
    private static readonly JobId Job = new(65535); // fLUv

    private sealed class Recorder(string name) : IJobMetadataSource
    {
        public Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct) =>
            Task.FromResult(new JobMetadata(name, null));
    }

    [Fact]
    public async Task Wrapper_requests_go_inline_and_prologs_go_to_flux()
    {
        var router = new MetadataRouter(new Recorder("inline"), new Dictionary<JobScheduler, IJobMetadataSource> { [JobScheduler.Flux] = new Recorder("flux") });
        var wrapper = new JobRequest(Job, 0, Inline: new TracingRequest("yes", "/p"));
        Assert.Equal("inline", (await router.ResolveAsync(wrapper, CancellationToken.None)).UserName);
        Assert.Equal("flux", (await router.ResolveAsync(new JobRequest(Job, 0, new JobOrigin("local:///x")), CancellationToken.None)).UserName);
    }

    [Fact]
    public async Task A_prolog_whose_scheduler_has_no_source_here_is_refused_naming_the_job()
    {
        var router = new MetadataRouter(new Recorder("inline"), new Dictionary<JobScheduler, IJobMetadataSource>());
        var unknown = await Assert.ThrowsAsync<JobMetadataException>(() =>
            router.ResolveAsync(new JobRequest(Job, 0), CancellationToken.None));
        Assert.Equal("job fLUv: this daemon has no metadata source for Flux jobs", unknown.Message);
    }

    [Fact]
    public async Task Inline_metadata_is_taken_as_sent()
    {
        var source = new InlineMetadataSource(new UserDirectory());
        var metadata = await source.ResolveAsync(new JobRequest(Job, 0, Inline: new TracingRequest("yes", "/p.json.gz")), CancellationToken.None);
        Assert.Equal(new JobMetadata("root", new TracingRequest("yes", "/p.json.gz")), metadata);
    }

    [Fact]
    public async Task Inline_metadata_not_enabled_is_not_requested()
    {
        var source = new InlineMetadataSource(new UserDirectory());
        var metadata = await source.ResolveAsync(new JobRequest(Job, 0, Inline: new TracingRequest("no", "/p")), CancellationToken.None);
        Assert.Null(metadata.Tracing);
    }

    [Theory]
    [InlineData("relative.json.gz", "job fLUv: probe_file is not an absolute path: 'relative.json.gz'")]
    [InlineData("/p\nX=1", "job fLUv: probe_file contains a control character (\\x0a): '/p\\x0aX=1'")]
    [InlineData("", "job fLUv: probe_file is empty: ''")]
    public async Task Inline_metadata_follows_the_jobspec_rules(string path, string message)
    {
        var source = new InlineMetadataSource(new UserDirectory());
        var e = await Assert.ThrowsAsync<JobMetadataException>(() =>
            source.ResolveAsync(new JobRequest(Job, 0, Inline: new TracingRequest("yes", path)), CancellationToken.None));
        Assert.Equal(message, e.Message);
    }
}
