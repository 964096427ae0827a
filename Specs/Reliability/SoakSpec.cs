using System.Collections.Concurrent;
using System.Diagnostics;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;
using Datacrumbs.Specs.Harness;
using Xunit.Abstractions;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// Ten thousand lifecycles with a fault mix through one daemon: every request gets its one reply,
/// nothing is left at the end, and the daemon's resident memory, threads and file descriptors stay
/// flat once it is warm. The first tenths warm it up (JIT tiers, the GC's heap budget, the thread
/// pool: resident memory grows by about 20 MiB there and then stays); the figures at each tenth
/// are printed for docs/reliability.rst. The bounds below catch leaks, not slowness: descriptors
/// at most 8 above the first tenth, the second half's median thread count at most 4 above the
/// first half's peak, resident memory at most 10% above the first half's peak; a leak of one
/// descriptor, thread or a few KiB per lifecycle exceeds them.
/// RELIABILITY_SOAK_LIFECYCLES sets the count (default 10,000).
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class SoakSpec(ITestOutputHelper output)
{
    private const int Workers = 16;

    private enum Kind { Ready, TracerFails, TracerExitsAfterReady, NotRequested, BadProbePath, BadJobId, EpilogFirst, DuplicateProlog, ClientVanishes, Garbage, IgnoresTerm }

    /// <summary>One in 20 of each fault; half plain ready lifecycles; a slow SIGTERM-ignorer now and then.</summary>
    private static Kind KindOf(int i) => i % 100 == 99 ? Kind.IgnoresTerm : (i % 20) switch
    {
        < 10 => Kind.Ready,
        10 => Kind.TracerFails,
        11 => Kind.TracerExitsAfterReady,
        12 => Kind.NotRequested,
        13 => Kind.BadProbePath,
        14 => Kind.BadJobId,
        15 => Kind.EpilogFirst,
        16 => Kind.DuplicateProlog,
        17 => Kind.ClientVanishes,
        18 => Kind.Garbage,
        _ => Kind.Ready,
    };

    [Fact]
    public async Task Thousands_of_lifecycles_with_faults_lose_no_reply_and_leave_nothing()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SOAK_LIFECYCLES"), out var n) ? n : 10_000;
        await using var daemon = await DaemonProcess.StartAsync(settings: new()
        {
            ["Timeouts"] = new Dictionary<string, double> { ["Resolve"] = 60, ["Ready"] = 10, ["Stop"] = 20 },
            ["KillAfterSeconds"] = 0.5,
        });
        var probes = Path.Combine(daemon.WorkDir, "probes.json.gz");
        await File.WriteAllBytesAsync(probes, DaemonProcess.ValidProbes);
        var soak = new Soak(daemon, probes);

        var tenth = Math.Max(1, count / 10);
        var clock = Stopwatch.StartNew();
        await soak.RunAsync(0, tenth);
        var warm = ProcessFigures.Of(daemon.Pid);
        var firstHalfPeakRss = warm.RssKiB;
        var firstHalfPeakThreads = warm.Threads;
        var secondHalfThreads = new List<int>();
        output.WriteLine($"after {tenth,6} lifecycles, {clock.Elapsed.TotalSeconds,6:0.0} s: {warm} (warm: the baseline)");
        for (var from = tenth; from < count; from += tenth)
        {
            var to = Math.Min(count, from + tenth);
            await soak.RunAsync(from, to);
            var now = ProcessFigures.Of(daemon.Pid);
            if (to <= count / 2)
            {
                firstHalfPeakRss = Math.Max(firstHalfPeakRss, now.RssKiB);
                firstHalfPeakThreads = Math.Max(firstHalfPeakThreads, now.Threads);
            }
            else secondHalfThreads.Add(now.Threads);
            output.WriteLine($"after {to,6} lifecycles, {clock.Elapsed.TotalSeconds,6:0.0} s: {now}");
        }
        var end = ProcessFigures.Of(daemon.Pid);

        output.WriteLine($"{count} lifecycles in {clock.Elapsed.TotalSeconds:0.0} s ({count / clock.Elapsed.TotalSeconds:0} a second), " +
                         $"{soak.Requests} requests, {soak.Replies} replies, {soak.TracersStarted} tracers started");
        output.WriteLine($"warm: {warm}; first half's peak RSS {firstHalfPeakRss / 1024.0:0.0} MiB; end: {end}");
        output.WriteLine("kinds: " + string.Join(", ", soak.Kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));

        foreach (var problem in soak.Problems) // what the daemon said about each job that went wrong
        {
            output.WriteLine(problem);
            var job = new JobId(900_000 + ulong.Parse(problem.Split(' ')[1])).ToString();
            foreach (var line in daemon.Log.Split('\n').Where(l => l.Contains(job))) output.WriteLine("  " + line);
        }
        Assert.Empty(soak.Problems);
        Assert.Equal(soak.Requests, soak.Replies); // zero lost replies
        Assert.Empty(daemon.Leftovers());
        Assert.Empty(TracerProcesses.Of(daemon.ControlDir));
        Assert.Empty((await daemon.SendAsync(new ControlRequest { Op = Operation.Status })).Jobs!);
        // Flat once warm (bounds for leaks, see the summary).
        Assert.True(end.FileDescriptors <= warm.FileDescriptors + 8, $"file descriptors grew: warm {warm}, end {end}");
        // The thread pool adds threads while a loaded machine starves it and retires them later (27 -> 37
        // under stress-ng; in one CI rehearsal 17, 18, 18, 20, 18 | 24, 19, 18, 17, 27): one sample is a
        // moment. A leak raises them all, so the second half's median, not its last sample, is held to
        // the first half's peak.
        secondHalfThreads.Sort();
        var secondHalfMedian = secondHalfThreads.Count == 0 ? end.Threads : secondHalfThreads[secondHalfThreads.Count / 2];
        Assert.True(secondHalfMedian <= firstHalfPeakThreads + 4,
            $"threads grew in the second half: median {secondHalfMedian} of [{string.Join(", ", secondHalfThreads)}], first half's peak {firstHalfPeakThreads}, warm {warm}, end {end}");
        // Resident memory may still settle during the first tenths (the GC sizes its budget): a
        // plateau ends near the first half's peak, a leak keeps climbing through the second half.
        Assert.True(end.RssKiB <= firstHalfPeakRss * 1.10,
            $"resident memory grew by more than 10% in the second half: first half's peak {firstHalfPeakRss / 1024.0:0.0} MiB, end {end}");
        daemon.DeleteWorkDir();
    }

    private sealed class Soak(DaemonProcess daemon, string probes)
    {
        private long _requests, _replies, _tracers;
        public long Requests => Interlocked.Read(ref _requests);
        public long Replies => Interlocked.Read(ref _replies);
        public long TracersStarted => Interlocked.Read(ref _tracers);
        public ConcurrentQueue<string> Problems { get; } = new();
        public ConcurrentDictionary<Kind, int> Kinds { get; } = new();

        public Task RunAsync(int from, int to)
        {
            var next = from - 1;
            return Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref next); i < to; i = Interlocked.Increment(ref next))
                {
                    try { await LifecycleAsync(i); }
                    catch (Exception e) { Problems.Enqueue($"lifecycle {i} ({KindOf(i)}): {e.GetType().Name}: {e.Message}"); }
                }
            })));
        }

        private async Task<ControlReply> SendAsync(ControlRequest request)
        {
            Interlocked.Increment(ref _requests);
            var reply = await daemon.SendAsync(request, 60);
            Interlocked.Increment(ref _replies);
            return reply;
        }

        private async Task<ControlReply?> RawAsync(byte[] bytes)
        {
            Interlocked.Increment(ref _requests);
            var reply = await RawClient.ExchangeAsync(daemon.Socket, bytes, 60);
            if (reply is not null) Interlocked.Increment(ref _replies);
            return reply;
        }

        private void Expect(bool condition, int i, ControlReply reply)
        {
            if (!condition) Problems.Enqueue($"lifecycle {i} ({KindOf(i)}): {reply.Status} {reply.Outcome} {reply.Message}");
        }

        private async Task LifecycleAsync(int i)
        {
            var kind = KindOf(i);
            Kinds.AddOrUpdate(kind, 1, (_, c) => c + 1);
            var job = new JobId(900_000 + (ulong)i);
            var mode = kind switch
            {
                Kind.TracerFails => "fail",
                Kind.TracerExitsAfterReady => "exit-after-ready",
                Kind.IgnoresTerm => "ignore-term",
                _ => null,
            };
            if (mode is not null) await daemon.TracerBehaves(job.ToString(), mode);
            if (kind is Kind.Ready or Kind.TracerFails or Kind.TracerExitsAfterReady or Kind.IgnoresTerm or Kind.DuplicateProlog or Kind.ClientVanishes)
                Interlocked.Increment(ref _tracers);

            ControlReply reply;
            switch (kind)
            {
                case Kind.BadJobId:
                    reply = await SendAsync(new ControlRequest { Op = Operation.Prolog, Job = $"job-{i}", Uid = TestUsers.Alice.Uid });
                    Expect(reply.Status == ReplyStatus.BadRequest && reply.Message.Contains("is not a job id"), i, reply);
                    return;
                case Kind.Garbage:
                    var garbage = await RawAsync(RawClient.Frame("{\"op\":\"Prolog\",\"job\":"));
                    if (garbage is null) Problems.Enqueue($"lifecycle {i}: no reply to a garbage frame");
                    else Expect(garbage.Status == ReplyStatus.BadRequest, i, garbage);
                    return;
                case Kind.EpilogFirst:
                    reply = await SendAsync(WrapperRequests.Stop(job));
                    Expect(reply.Outcome == Outcome.Stopped, i, reply);
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));
                    Expect(reply.Outcome == Outcome.Canceled, i, reply);
                    return;
                case Kind.NotRequested:
                    reply = await SendAsync(new ControlRequest { Op = Operation.Prolog, Job = job.ToString(), Uid = TestUsers.Alice.Uid, Metadata = new TracingRequest("no", probes) });
                    Expect(reply.Outcome == Outcome.NotRequested, i, reply);
                    break;
                case Kind.BadProbePath:
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, "relative/probes.json.gz"));
                    Expect(reply.Outcome == Outcome.Failed && reply.Message.Contains("is not an absolute path"), i, reply);
                    break;
                case Kind.DuplicateProlog:
                    var both = await Task.WhenAll(SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes)), SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes)));
                    Expect(both.All(r => r.Outcome == Outcome.Ready), i, both[0]);
                    break;
                case Kind.ClientVanishes:
                    Interlocked.Increment(ref _requests); // this one is never read: it counts as answered by the duplicate below
                    using (var gone = await RawClient.ConnectAsync(daemon.Socket))
                        await gone.SendAsync(Frames.Encode(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes), WireJson.Default.ControlRequest));
                    Interlocked.Increment(ref _replies);
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));
                    Expect(reply.Outcome == Outcome.Ready, i, reply);
                    break;
                case Kind.TracerFails:
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));
                    Expect(reply.Outcome == Outcome.Failed && reply.Message.Contains("tracer exited with code 3"), i, reply);
                    break;
                case Kind.TracerExitsAfterReady:
                    // Ready, or failed if the exit is seen before the ready file: both are honest answers.
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));
                    Expect(reply.Outcome is Outcome.Ready or Outcome.Failed, i, reply);
                    break;
                default:
                    reply = await SendAsync(WrapperRequests.Start(job, TestUsers.Alice.Uid, probes));
                    Expect(reply.Outcome == Outcome.Ready, i, reply);
                    break;
            }
            reply = await SendAsync(WrapperRequests.Stop(job));
            // A job that did not ask stays NotRequested at its epilog too (silent in flux dmesg).
            Expect(reply.Outcome == (kind == Kind.NotRequested ? Outcome.NotRequested : Outcome.Stopped), i, reply);
        }
    }
}
