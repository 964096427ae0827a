using System.Net.Sockets;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// The daemon SIGKILLed at random points while jobs are in every state (resolving, awaiting a
/// slow tracer, ready, failing, stopping), restarted on the same run dir each time. Prologs and
/// epilogs cut off by the kill must get a clear answer (a connection error or Unavailable) and a
/// retry after the restart must succeed or fail cleanly; in the end every epilog succeeds and no
/// tracer process, env, ready, pid file or probe copy is left. Seeded: set RELIABILITY_SEED to replay.
/// </summary>
public sealed class CrashRestartSpec(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rounds = 20;
    private const int NewJobsPerRound = 10; // 200 jobs over the run
    private const double EpilogChance = 0.5;
    private const double EpilogDuringPrologChance = 0.1;

    private string _workDir = null!;
    private string _probes = null!;
    private DaemonProcess? _daemon;

    private static readonly Dictionary<string, object> Settings = new()
    {
        ["Timeouts"] = new Dictionary<string, double> { ["Ready"] = 1, ["Stop"] = 10 },
        ["KillAfterSeconds"] = 1,
    };

    public async Task InitializeAsync()
    {
        _workDir = Directory.CreateTempSubdirectory("datacrumbs-crash-").FullName;
        _probes = Path.Combine(_workDir, "probes.json.gz");
        await File.WriteAllBytesAsync(_probes, [0x1f, 0x8b]);
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
        foreach (var pid in TracerProcesses.Of(Path.Combine(_workDir, "standin"))) // a failed run must not leave tracers
            await Run.CommandAsync("kill", "-KILL", pid.ToString());
        Directory.Delete(_workDir, recursive: true);
    }

    [Fact]
    public async Task Jobs_survive_twenty_random_daemon_kills_and_every_epilog_leaves_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SEED"), out var s) ? s : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay with RELIABILITY_SEED={seed})");
        var random = new Random(seed);
        var jobs = new List<Job>();
        var interrupted = 0;
        var started = DateTime.UtcNow;

        for (var round = 0; round < Rounds; round++)
        {
            var roundStarted = DateTime.UtcNow;
            _daemon = _daemon is null ? await DaemonProcess.StartAsync(_workDir, Settings) : await _daemon.RestartAsync();
            var startup = (DateTime.UtcNow - roundStarted).TotalSeconds;
            var requests = new List<Task<Sent>>();
            foreach (var job in jobs.Where(j => j.PrologInterrupted && !j.EpilogSent)) requests.Add(Prolog(job));
            foreach (var job in jobs.Where(j => j.EpilogInterrupted)) requests.Add(Epilog(job));
            for (var i = 0; i < NewJobsPerRound; i++)
            {
                var job = await NewJobAsync(jobs.Count + 1, random);
                jobs.Add(job);
                requests.Add(Prolog(job));
                if (random.NextDouble() < EpilogDuringPrologChance) requests.Add(Epilog(job));
            }
            foreach (var job in jobs.Where(j => j.PrologAnswered && !j.EpilogSent && random.NextDouble() < EpilogChance).ToList())
                requests.Add(Epilog(job));

            var killAfter = random.Next(0, requests.Count + 1);
            await WhenCountAsync(requests, killAfter).WaitAsync(TimeSpan.FromSeconds(30));
            _daemon.Kill();
            foreach (var sent in await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30)))
                if (!Check(sent)) interrupted++;
            output.WriteLine($"round {round + 1}: {requests.Count} requests, killed after {killAfter} replies, " +
                             $"{LiveTracers()} tracer processes running, {(DateTime.UtcNow - roundStarted).TotalSeconds:0.0} s (start {startup:0.0} s)");
        }

        // The last restart: finish what was cut off, then the epilog of every job.
        _daemon = await _daemon!.RestartAsync();
        for (var pass = 0; jobs.Any(j => (j.PrologInterrupted && !j.EpilogSent) || j.EpilogInterrupted); pass++)
        {
            Assert.True(pass < 3, "requests to a daemon that is not killed must not keep failing");
            var retries = jobs.Where(j => j.PrologInterrupted && !j.EpilogSent).Select(Prolog)
                .Concat(jobs.Where(j => j.EpilogInterrupted).Select(Epilog)).ToList();
            foreach (var sent in await Task.WhenAll(retries).WaitAsync(TimeSpan.FromSeconds(60))) Assert.True(Check(sent), sent.ToString());
        }
        foreach (var sent in await Task.WhenAll(jobs.Where(j => !j.Stopped).Select(Epilog)).WaitAsync(TimeSpan.FromSeconds(60)))
            Assert.True(Check(sent), sent.ToString());

        Assert.All(jobs, job => Assert.True(job.Stopped, $"{job.Id} ({job.Mode}) was not stopped"));
        var left = TracerProcesses.Of(_daemon.ControlDir).Select(TracerProcesses.Describe).ToList();
        Assert.True(left.Count == 0, $"{left.Count} tracer processes left:\n{string.Join('\n', left)}");
        Assert.Empty(_daemon.Leftovers());
        var status = await _daemon.SendAsync(new ControlRequest { Op = Operation.Status });
        Assert.Empty(status.Jobs!);
        output.WriteLine($"{jobs.Count} jobs, {Rounds} kills, {interrupted} requests cut off by a kill, " +
                         $"{(DateTime.UtcNow - started).TotalSeconds:0.0} s; prolog outcomes: " +
                         string.Join(", ", jobs.GroupBy(j => $"{j.Mode} {j.LastPrologOutcome}").OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")));
    }

    private async Task<Job> NewJobAsync(int n, Random random)
    {
        var mode = (string[])["ready", "slow", "never-ready", "fail"];
        var job = new Job(new JobId(700_000 + (ulong)n), mode[random.Next(mode.Length)]);
        var control = job.Mode switch
        {
            "slow" => $"STANDIN_MODE=ready STANDIN_DELAY_MS={random.Next(50, 800)}",
            "fail" => $"STANDIN_MODE=fail STANDIN_DELAY_MS={random.Next(0, 400)}",
            var other => $"STANDIN_MODE={other}",
        };
        await File.WriteAllTextAsync(Path.Combine(_workDir, "standin", job.Id.ToString()), control + "\n");
        return job;
    }

    private Task<Sent> Prolog(Job job)
    {
        job.PrologInterrupted = false;
        return SendAsync(job, WrapperRequests.Start(job.Id, 1001, _probes));
    }

    private Task<Sent> Epilog(Job job)
    {
        job.EpilogSent = true;
        job.EpilogInterrupted = false;
        return SendAsync(job, WrapperRequests.Stop(job.Id));
    }

    private async Task<Sent> SendAsync(Job job, ControlRequest request)
    {
        var daemon = _daemon!;
        try
        {
            return new Sent(job, request.Op, await daemon.SendAsync(request), null);
        }
        catch (Exception e)
        {
            return new Sent(job, request.Op, null, e);
        }
    }

    /// <summary>Records one answer; false when the kill cut the request off (it is retried after the restart).</summary>
    private static bool Check(Sent sent)
    {
        var job = sent.Job;
        if (sent.Error is not null || sent.Reply!.Status == ReplyStatus.Unavailable)
        {
            // The clear answers to a request the kill cut off: the connection broke, or the daemon said it cannot answer.
            if (sent.Error is not null)
                Assert.True(sent.Error is ProtocolException or IOException or SocketException,
                    $"{job.Id} {sent.Op}: a cut-off request must fail as a connection error, not {sent.Error}");
            if (sent.Op == Operation.Prolog) job.PrologInterrupted = true;
            else job.EpilogInterrupted = true;
            return false;
        }
        var reply = sent.Reply;
        Assert.True(reply.Status == ReplyStatus.Ok, $"{job.Id} {sent.Op}: {reply.Status}: {reply.Message}");
        if (sent.Op == Operation.Epilog)
        {
            Assert.True(reply.Outcome == Outcome.Stopped, $"{job.Id} ({job.Mode}) epilog: {reply.Outcome}: {reply.Message}");
            job.Stopped = true;
            return true;
        }
        job.PrologAnswered = true;
        job.LastPrologOutcome = reply.Outcome;
        switch (reply.Outcome)
        {
            case Outcome.Ready:
                Assert.True(job.Mode is "ready" or "slow", $"{job.Id} ({job.Mode}) answered Ready: {reply.Message}");
                break;
            case Outcome.Failed:
                Assert.True(job.Mode is "never-ready" or "fail", $"{job.Id} ({job.Mode}) failed: {reply.Message}");
                break;
            case Outcome.Canceled:
                Assert.True(job.EpilogSent, $"{job.Id} ({job.Mode}) canceled without an epilog: {reply.Message}");
                break;
            default:
                Assert.Fail($"{job.Id} ({job.Mode}): unexpected prolog outcome {reply.Outcome}: {reply.Message}");
                break;
        }
        return true;
    }

    private int LiveTracers() => TracerProcesses.Of(Path.Combine(_workDir, "standin")).Count;

    private static Task WhenCountAsync(IReadOnlyList<Task> tasks, int count)
    {
        if (count == 0) return Task.CompletedTask;
        var done = 0;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var task in tasks)
            _ = task.ContinueWith(_ => { if (Interlocked.Increment(ref done) == count) reached.TrySetResult(); }, TaskScheduler.Default);
        return reached.Task;
    }

    private sealed class Job(JobId id, string mode)
    {
        public JobId Id { get; } = id;
        public string Mode { get; } = mode;
        public bool PrologAnswered { get; set; }
        public bool PrologInterrupted { get; set; }
        public bool EpilogSent { get; set; }
        public bool EpilogInterrupted { get; set; }
        public bool Stopped { get; set; }
        public Outcome? LastPrologOutcome { get; set; }
    }

    private sealed record Sent(Job Job, Operation Op, ControlReply? Reply, Exception? Error)
    {
        public override string ToString() => $"{Job.Id} ({Job.Mode}) {Op}: {Reply?.Status} {Reply?.Outcome} {Reply?.Message}{Error?.Message}";
    }
}
