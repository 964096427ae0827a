using System.Diagnostics;
using System.Net.Sockets;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Reliability;

/// <summary>A node whose daemon <see cref="CrashRounds"/> drives: how to reach it, crash it and bring it back.</summary>
public interface ICrashNode
{
    /// <summary>The prolog (wrapper start) of a job for the node's user and probes file.</summary>
    ControlRequest Prolog(JobId job);
    Task<ControlReply> SendAsync(ControlRequest request);
    /// <summary>How the stand-in tracer of one job behaves ("STANDIN_MODE=fail STANDIN_DELAY_MS=200").</summary>
    Task TracerBehavesAsync(JobId job, string words);
    /// <summary>SIGKILLs the daemon, as a crash does.</summary>
    Task KillAsync();
    /// <summary>Returns once the daemon serves again after <see cref="KillAsync"/>.</summary>
    Task RestartAsync();
    /// <summary>The stand-in tracer processes of this node still alive (and what they forked).</summary>
    IReadOnlyList<int> TracerProcesses();
}

/// <summary>
/// The daemon SIGKILLed at random points while jobs are in every state (resolving, awaiting a
/// slow tracer, ready, failing, stopping), then restarted. Each round adds new jobs (ready, slow,
/// never-ready and failing tracers), sends their prologs, retries what the last kill cut off and
/// sends epilogs for some answered jobs; after a random number of replies the daemon is killed.
/// A cut-off request must get a clear answer (a connection error or Unavailable) and its retry
/// after the restart must succeed or fail cleanly; in the end every epilog answers Stopped, no
/// tracer process is left and status lists no job. What else must be gone (files, units) is the
/// node's to check. Seeded: RELIABILITY_SEED replays a run's choices (job modes, delays, which
/// epilogs, where to kill); which requests a kill cuts off is the machine's timing.
/// </summary>
public sealed class CrashRounds(ICrashNode node, ITestOutputHelper output, int rounds = 20, int newJobsPerRound = 10)
{
    private const double EpilogChance = 0.5;
    private const double EpilogDuringPrologChance = 0.1;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<Job> _jobs = [];
    private int _interrupted;

    /// <summary>Every job of the run, for a spec's cleanup after a failure.</summary>
    public IEnumerable<JobId> Jobs => _jobs.Select(j => j.Id);

    public async Task RunAsync()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SEED"), out var s) ? s : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay with RELIABILITY_SEED={seed})");
        var random = new Random(seed);
        var run = Stopwatch.StartNew();
        var restarts = TimeSpan.Zero;

        for (var round = 0; round < rounds; round++)
        {
            var roundWatch = Stopwatch.StartNew();
            var requests = new List<Task<Sent>>();
            foreach (var job in _jobs.Where(j => j.PrologInterrupted && !j.EpilogSent)) requests.Add(Prolog(job));
            foreach (var job in _jobs.Where(j => j.EpilogInterrupted)) requests.Add(Epilog(job));
            for (var i = 0; i < newJobsPerRound; i++)
            {
                var job = await NewJobAsync(random);
                requests.Add(Prolog(job));
                if (random.NextDouble() < EpilogDuringPrologChance) requests.Add(Epilog(job));
            }
            // One draw per job and one for the kill point whatever the timing made of the last round
            // (which requests a kill cut off): the draws stay in step, so a seed replays the choices.
            foreach (var job in _jobs.ToList())
                if (random.NextDouble() < EpilogChance && job.PrologAnswered && !job.EpilogSent) requests.Add(Epilog(job));

            var killAfter = (int)(random.NextDouble() * (requests.Count + 1));
            await WhenCountAsync(requests, killAfter).WaitAsync(Patience);
            await node.KillAsync();
            var cutOff = 0;
            foreach (var sent in await Task.WhenAll(requests).WaitAsync(Patience))
                if (!Check(sent)) cutOff++;
            var tracers = node.TracerProcesses().Count;
            var restart = Stopwatch.StartNew();
            await node.RestartAsync();
            restarts += restart.Elapsed;
            output.WriteLine($"round {round + 1}: {requests.Count} requests, killed after {killAfter} replies, {cutOff} cut off, " +
                             $"{tracers} tracer processes running; {roundWatch.Elapsed.TotalSeconds:0.0} s (restart {restart.Elapsed.TotalSeconds:0.0} s)");
        }

        // The daemon is not killed again: finish what was cut off, then the epilog of every job.
        for (var pass = 0; _jobs.Any(j => (j.PrologInterrupted && !j.EpilogSent) || j.EpilogInterrupted); pass++)
        {
            Assert.True(pass < 3, "requests to a daemon that is not killed must not keep failing");
            var retries = _jobs.Where(j => j.PrologInterrupted && !j.EpilogSent).Select(Prolog)
                .Concat(_jobs.Where(j => j.EpilogInterrupted).Select(Epilog)).ToList();
            foreach (var sent in await Task.WhenAll(retries).WaitAsync(Patience)) Assert.True(Check(sent), sent.ToString());
        }
        foreach (var sent in await Task.WhenAll(_jobs.Where(j => !j.Stopped).Select(Epilog)).WaitAsync(Patience))
            Assert.True(Check(sent), sent.ToString());

        Assert.All(_jobs, job => Assert.True(job.Stopped, $"{job.Id} ({job.Mode}) was not stopped"));
        var left = node.TracerProcesses().Select(Reliability.TracerProcesses.Describe).ToList();
        Assert.True(left.Count == 0, $"{left.Count} tracer processes left:\n{string.Join('\n', left)}");
        var status = await node.SendAsync(new ControlRequest { Op = Operation.Status });
        Assert.True(status.Jobs!.Count == 0, $"status still lists {string.Join(", ", status.Jobs!.Select(j => $"{j.Job} {j.State}"))}");
        output.WriteLine($"{_jobs.Count} jobs, {rounds} kills, {_interrupted} requests cut off by a kill, " +
                         $"{run.Elapsed.TotalSeconds:0.0} s ({restarts.TotalSeconds:0.0} s of it restarting); prolog outcomes: " +
                         string.Join(", ", _jobs.GroupBy(j => $"{j.Mode} {j.LastPrologOutcome}").OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")));
    }

    private async Task<Job> NewJobAsync(Random random)
    {
        var mode = (string[])["ready", "slow", "never-ready", "fail"];
        var job = new Job(new JobId(700_000 + (ulong)_jobs.Count + 1), mode[random.Next(mode.Length)]);
        _jobs.Add(job);
        await node.TracerBehavesAsync(job.Id, job.Mode switch
        {
            "slow" => $"STANDIN_MODE=ready STANDIN_DELAY_MS={random.Next(50, 800)}",
            "fail" => $"STANDIN_MODE=fail STANDIN_DELAY_MS={random.Next(0, 400)}",
            var other => $"STANDIN_MODE={other}",
        });
        return job;
    }

    private Task<Sent> Prolog(Job job)
    {
        job.PrologInterrupted = false;
        return SendAsync(job, node.Prolog(job.Id));
    }

    private Task<Sent> Epilog(Job job)
    {
        job.EpilogSent = true;
        job.EpilogInterrupted = false;
        return SendAsync(job, WrapperRequests.Stop(job.Id));
    }

    private async Task<Sent> SendAsync(Job job, ControlRequest request)
    {
        try
        {
            return new Sent(job, request.Op, await node.SendAsync(request), null);
        }
        catch (Exception e)
        {
            return new Sent(job, request.Op, null, e);
        }
    }

    /// <summary>Records one answer; false when the kill cut the request off (it is retried after the restart).</summary>
    private bool Check(Sent sent)
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
            _interrupted++;
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
                // The node's Ready timeout is short (so never-ready tracers fail fast); on a loaded
                // machine a ready tracer may miss it too, and must then fail exactly that way.
                Assert.True(job.Mode is "never-ready" or "fail" || reply.Message.Contains("failed in AwaitingReady: timed out", StringComparison.Ordinal),
                    $"{job.Id} ({job.Mode}) failed: {reply.Message}");
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
