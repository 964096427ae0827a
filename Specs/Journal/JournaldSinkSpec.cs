using Datacrumbs.Daemon.Journal;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;
using Serilog;
using Serilog.Core;

namespace Datacrumbs.Specs.Journal;

/// <summary>The sink against the real journald of the systemd sandbox.</summary>
public sealed class JournaldSinkSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static JobId NewJob() => new((ulong)Random.Shared.NextInt64(1, long.MaxValue));

    private JournaldSink SinkToSandbox(TextWriter? diagnostics = null) =>
        new(new JournaldSinkOptions { SocketPath = sandbox.JournalSocket, Diagnostics = diagnostics ?? new StringWriter() });

    private static Logger LoggerFor(ILogEventSink sink) =>
        new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();

    [Fact]
    public async Task A_lifecycle_entry_arrives_with_the_job_fields_and_the_priority_of_its_level()
    {
        var job = NewJob();
        using var sink = SinkToSandbox();
        var log = LoggerFor(sink).ForContext("SourceContext", "Datacrumbs.Actors.Lifecycle.JobLifecycle")
            .ForContext("Unit", JobNames.Unit(job)).ForContext("User", "dcalice");
        log.ForContext("State", "Ready").Information("{JobId}: tracer ready after {ReadyMs} ms", job, 12.5);
        log.ForContext("State", "Failed").Error("{JobId}: tracing failed in {FailedState}: {Cause}", job, "AwaitingReady", "no ready file after 30 s");
        Assert.True(await sink.FlushAsync(Patience));

        var entries = await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}");

        Assert.Equal(2, entries.Count);
        var ready = entries[0];
        Assert.Equal($"{job}: tracer ready after 12.5 ms", ready["MESSAGE"]);
        Assert.Equal("6", ready["PRIORITY"]);
        Assert.Equal("datacrumbsd", ready["SYSLOG_IDENTIFIER"]);
        Assert.Equal(job.ToString(), ready["DATACRUMBS_JOB_ID"]);
        Assert.Equal("Ready", ready["DATACRUMBS_STATE"]);
        Assert.Equal($"datacrumbs@{job}.service", ready["DATACRUMBS_UNIT"]);
        Assert.Equal("dcalice", ready["DATACRUMBS_USER"]);
        Assert.Equal("12.5", ready["DATACRUMBS_READY_MS"]);
        Assert.Equal("Datacrumbs.Actors.Lifecycle.JobLifecycle", ready["DATACRUMBS_SOURCE"]);
        var failed = entries[1];
        Assert.Equal($"{job}: tracing failed in AwaitingReady: no ready file after 30 s", failed["MESSAGE"]);
        Assert.Equal("3", failed["PRIORITY"]);
        Assert.Equal("AwaitingReady", failed["DATACRUMBS_FAILED_STATE"]);
        Assert.Equal("no ready file after 30 s", failed["DATACRUMBS_CAUSE"]);
        Assert.Equal("Failed", failed["DATACRUMBS_STATE"]);
        Assert.Equal((2L, 0L), (sink.Sent, sink.Dropped));
    }

    [Fact]
    public async Task A_multi_line_exception_arrives_intact_as_one_entry()
    {
        var job = NewJob();
        Exception caught;
        try { ThrowNested(); throw null!; }
        catch (Exception e) { caught = e; }
        Assert.Contains('\n', caught.ToString());
        using var sink = SinkToSandbox();
        LoggerFor(sink).Error(caught, "{JobId}: a job lifecycle crashed", job);
        Assert.True(await sink.FlushAsync(Patience));

        var entry = Assert.Single(await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}"));

        Assert.Equal(caught.ToString(), entry["EXCEPTION"]);
        Assert.Equal($"{job}: a job lifecycle crashed", entry["MESSAGE"]);
        Assert.Equal("3", entry["PRIORITY"]);
    }

    private static void ThrowNested()
    {
        try { throw new IOException("unit datacrumbs@x.service:\nline two of the cause"); }
        catch (IOException e) { throw new InvalidOperationException("start failed", e); }
    }

    [Fact]
    public async Task An_entry_larger_than_a_datagram_arrives_through_a_memfd()
    {
        var job = NewJob();
        // 17 MiB: the sink asks for an 8 MiB send buffer, which the kernel at most doubles, so no
        // datagram can carry it on any machine
        var big = string.Concat(Enumerable.Repeat("0123456789abcdef", 17 * 64 * 1024));
        using var sink = SinkToSandbox();
        LoggerFor(sink).Information("{JobId}: {Big}", job, big);
        Assert.True(await sink.FlushAsync(Patience));

        Assert.Equal((1L, 1L, 0L), (sink.Sent, sink.SentViaMemfd, sink.Dropped));
        var entry = Assert.Single(await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}"));
        Assert.Equal(big, entry["DATACRUMBS_BIG"]);
    }

    [Fact]
    public async Task Hostile_values_arrive_byte_for_byte()
    {
        var job = NewJob();
        const string withNul = "before\0after";
        const string withEquals = "A=B=C";
        const string withNewlines = "line one\nFAKE_FIELD=injected\n\nlast";
        using var sink = SinkToSandbox();
        LoggerFor(sink).Warning("{JobId}: hostile {Nul} {Equals} {Lines} {Weird}", job, withNul, withEquals, withNewlines,
            "\u00e9\u4e2d");
        Assert.True(await sink.FlushAsync(Patience));

        var entry = Assert.Single(await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}"));

        Assert.Equal(withNul, entry["DATACRUMBS_NUL"]);
        Assert.Equal(withEquals, entry["DATACRUMBS_EQUALS"]);
        Assert.Equal(withNewlines, entry["DATACRUMBS_LINES"]);
        Assert.Equal("\u00e9\u4e2d", entry["DATACRUMBS_WEIRD"]);
        Assert.Equal($"{job}: hostile {withNul} {withEquals} {withNewlines} \u00e9\u4e2d", entry["MESSAGE"]);
        Assert.False(entry.ContainsKey("FAKE_FIELD"));
    }

    [Fact]
    public void The_journal_is_seen_where_its_socket_exists()
    {
        Assert.True(JournaldSinkExtensions.JournalIsAvailable(sandbox.JournalSocket));
        Assert.False(JournaldSinkExtensions.JournalIsAvailable(Path.Combine(sandbox.RunDir, "no-such-journal")));
    }

    [Fact]
    public async Task The_logger_extension_writes_to_the_journal_and_sends_what_is_queued_on_dispose()
    {
        var job = NewJob();
        var logger = new LoggerConfiguration().WriteTo.Journald(sandbox.JournalSocket, "datacrumbs-spec").CreateLogger();
        logger.Information("{JobId}: via the extension", job);
        logger.Dispose();   // disposes the sink: what was queued goes out first

        var entry = Assert.Single(await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}"));
        Assert.Equal("datacrumbs-spec", entry["SYSLOG_IDENTIFIER"]);
    }
}
