using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Ctl;

/// <summary>
/// datacrumbsctl meets a daemon that is restarting: the hooks' prologs and epilogs are tried
/// again (they are idempotent) until the daemon answers or the retry window ends; refusals and
/// status queries are not retried. The daemon is scripted on a real socket where the spec must
/// know exactly what the client saw, and real where the restarted daemon must answer.
/// </summary>
public sealed class ClientRetrySpec : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("datacrumbs-retry-").FullName;
    private string SocketPath => Path.Combine(_dir, "datacrumbsd.sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ControlReply Answer(Outcome outcome) => new() { Status = ReplyStatus.Ok, Outcome = outcome, Message = "scripted" };

    private Task<Run.Result> CtlAsync(string socket, params string[] args) =>
        Run.CommandAsync(DaemonProcess.Ctl, args, Patience,
            new Dictionary<string, string?> { ["DATACRUMBS_SOCKET"] = socket, ["FLUX_JOB_ID"] = null, ["FLUX_JOB_USERID"] = null });

    [Fact]
    public async Task A_prolog_whose_connection_drops_twice_is_sent_again_until_the_daemon_answers()
    {
        await using var daemon = new ScriptedDaemon(SocketPath, ScriptedDaemon.HangUp, ScriptedDaemon.HangUp, Answer(Outcome.Ready));

        var run = await CtlAsync(SocketPath, "prolog", "--job", "fNH", "--uid", "60001");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("datacrumbs: fNH: ready: scripted", run.Stdout.Trim());
        Assert.Empty(run.Stderr); // the hook passes on the first line: retries say nothing
        Assert.Equal(3, daemon.Requests.Count);
        Assert.All(daemon.Requests, r => Assert.Equal((Operation.Prolog, "fNH", 60001u), (r.Op, r.Job, r.Uid)));
    }

    [Fact]
    public async Task An_epilog_told_the_daemon_is_shutting_down_asks_again()
    {
        var unavailable = ControlReply.Error(ReplyStatus.Unavailable, "the daemon is shutting down");
        await using var daemon = new ScriptedDaemon(SocketPath, unavailable, Answer(Outcome.Stopped));

        var run = await CtlAsync(SocketPath, "epilog", "--job", "fNH");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("datacrumbs: fNH: stopped:", run.Stdout);
        Assert.Equal(2, daemon.Requests.Count);
    }

    [Fact]
    public async Task A_rejected_request_is_not_sent_again()
    {
        await using var daemon = new ScriptedDaemon(SocketPath, ControlReply.Error(ReplyStatus.BadRequest, "'x' is not a job id"), Answer(Outcome.Ready));

        var run = await CtlAsync(SocketPath, "prolog", "--job", "fNH", "--uid", "60001");

        Assert.Equal(6, run.ExitCode);
        Assert.Contains("rejected: 'x' is not a job id", run.Stderr);
        Assert.Single(daemon.Requests);
    }

    [Fact]
    public async Task Status_is_not_retried_by_default()
    {
        await using var daemon = new ScriptedDaemon(SocketPath, ScriptedDaemon.HangUp, Answer(Outcome.Ready));

        var run = await CtlAsync(SocketPath, "status");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("lost the connection to the daemon", run.Stderr);
        Assert.Single(daemon.Requests);
    }

    [Fact]
    public async Task A_daemon_that_never_comes_back_is_given_up_at_the_end_of_the_retry_window_with_a_line_that_says_so()
    {
        var run = await CtlAsync(SocketPath, "epilog", "--job", "fNH", "--retry-for", "1");

        Assert.Equal(3, run.ExitCode);
        Assert.Matches(@"^datacrumbs: fNH: cannot reach the daemon at \S+: no such socket \(is datacrumbsd running\? see --socket\) \(tried \d+ times? in [\d.]+ s\)$",
            run.Stderr.Trim());
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task A_prolog_cut_off_by_a_dying_daemon_is_answered_ready_by_the_real_daemon_that_replaces_it()
    {
        // The dying daemon takes the request and hangs up; only then does the real one start on
        // the same socket, so the client provably had to try again to get its answer.
        var runDir = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        var dying = new ScriptedDaemon(Path.Combine(runDir, "datacrumbsd.sock"), ScriptedDaemon.HangUp);
        var job = new JobId(6001);
        var ctl = CtlAsync(dying.Socket, "wrapper", "start", job.ToString(), "dcalice", Path.Combine(_dir, "probes.json.gz"), "--retry-for", "50");
        await dying.ScriptDone.WaitAsync(Patience);
        await dying.DisposeAsync();

        await using var daemon = await DaemonProcess.StartAsync(_dir);
        var run = await ctl;

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"datacrumbs: {job}: ready:", run.Stdout);
        Assert.Single(dying.Requests);
        Assert.Equal(Outcome.Stopped, (await daemon.SendAsync(WrapperRequests.Stop(job))).Outcome);
        Assert.Empty(daemon.Leftovers());
    }

    [Theory]
    [InlineData("--retry-for", "1e300")]
    [InlineData("--retry-for", "-3")]
    [InlineData("--retry-for", "NaN")]
    [InlineData("--timeout", "1e300")]
    public async Task A_number_of_seconds_that_is_not_one_is_a_usage_error_naming_the_option(string option, string value)
    {
        var run = await CtlAsync(SocketPath, "epilog", "--job", "fNH", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{option} must be a number of seconds from 0 to 86400", run.Stderr);
    }
}
