using System.Text;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The hooks' own reading of a jobspec (<see cref="JobspecAsk"/>, used only when the daemon is
/// down) must agree with the daemon's (<see cref="JobspecTracing"/>): a job the daemon would
/// trace, or refuse with a message, asked; a job it would pass without a word did not.
/// </summary>
public sealed class JobspecAskSpecs
{
    private static readonly JobId Job = new(4242);

    public static TheoryData<string> Jobspecs() =>
    [
        """{"attributes":{"system":{"cwd":"/home/u"}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"/p/probes.json.gz"}}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"no","probe_file":""}}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"YES","probe_file":"/p"}}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":1}}}}""",
        """{"attributes":{"system":{"datacrumbs":{}}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"yes"}}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"relative.json","cwd":"/x"},"cwd":"/home/u"}}}""",
        """{"attributes":{"system":{"datacrumbs":"yes"}}}""",
        """{"attributes":{"system":{"datacrumbs":{"enable":"yes","probe_file":"/a","enable":"no"}}}}""",
        """{"attributes":{"system":[]}}""",
        """{"attributes":"none"}""",
        """{"version":1}""",
    ];

    [Theory]
    [MemberData(nameof(Jobspecs))]
    public void The_hooks_and_the_daemon_agree_on_whether_a_job_asked(string jobspec)
    {
        var bytes = Encoding.UTF8.GetBytes(jobspec);
        bool daemonSaysAsked;
        try { daemonSaysAsked = JobspecTracing.Read(Job, bytes) is not null; }
        catch (JobMetadataException) { daemonSaysAsked = true; } // refused with a message: the job asked

        Assert.Equal(daemonSaysAsked, JobspecAsk.AsksForTracing(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("""{"attributes":{"system":{"datacrumbs":{"enable":"\ud800"}}}}""")]
    public void What_is_not_a_jobspec_cannot_tell(string text) =>
        Assert.Null(JobspecAsk.AsksForTracing(Encoding.UTF8.GetBytes(text)));
}
