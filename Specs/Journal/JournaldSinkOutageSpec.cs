using System.Net.Sockets;
using System.Text;
using Datacrumbs.Daemon.Journal;
using Serilog;
using Serilog.Core;

namespace Datacrumbs.Specs.Journal;

/// <summary>The sink when the journal is missing, comes back, or cannot keep up: logging never
/// throws or blocks, and every lost entry is counted and said.</summary>
public sealed class JournaldSinkOutageSpec : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("journald-spec.").FullName;
    private string MissingSocket => Path.Combine(_dir, "socket");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task With_the_socket_missing_entries_go_to_the_fallback_and_the_outage_is_said_once()
    {
        var diagnostics = new StringWriter();
        var fallback = new CollectingSink();
        var sink = new JournaldSink(new JournaldSinkOptions { SocketPath = MissingSocket, Fallback = fallback, Diagnostics = diagnostics });
        var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();

        for (var i = 0; i < 5; i++) log.Information("entry {Index}", i);
        Assert.True(await sink.FlushAsync(Patience));
        sink.Dispose();

        Assert.Equal((0L, 5L, 0L), (sink.Sent, sink.FellBack, sink.Dropped));
        Assert.Equal(5, fallback.Events.Count);
        var line = Assert.Single(Lines(diagnostics));
        Assert.Equal($"datacrumbsd: journal socket {MissingSocket} unavailable (No such file or directory); logging to the console instead", line);
    }

    [Fact]
    public async Task Without_a_fallback_entries_are_counted_as_dropped_and_said_at_close()
    {
        var diagnostics = new StringWriter();
        var sink = new JournaldSink(new JournaldSinkOptions { SocketPath = MissingSocket, Diagnostics = diagnostics });
        var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();

        for (var i = 0; i < 3; i++) log.Error(new InvalidOperationException("x"), "entry {Index}", i);
        Assert.True(await sink.FlushAsync(Patience));
        sink.Dispose();
        log.Information("after close");   // never throws

        Assert.Equal(0L, sink.Sent);
        Assert.Equal(4L, sink.Dropped);
        Assert.Equal(
            [$"datacrumbsd: journal socket {MissingSocket} unavailable (No such file or directory); log entries are dropped until it is back",
             "datacrumbsd: 3 log entries were dropped and not reported in the journal"],
            Lines(diagnostics));
    }

    [Fact]
    public async Task When_the_journal_comes_back_the_sink_says_so_and_reports_the_outage_in_it()
    {
        var diagnostics = new StringWriter();
        using var sink = new JournaldSink(new JournaldSinkOptions
        {
            SocketPath = MissingSocket, Fallback = new CollectingSink(), Diagnostics = diagnostics, RetryInterval = TimeSpan.Zero,
        });
        var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        log.Information("while the journal is away");
        Assert.True(await sink.FlushAsync(Patience));

        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
        journal.Bind(new UnixDomainSocketEndPoint(MissingSocket));
        log.Information("the journal is back");
        Assert.True(await sink.FlushAsync(Patience));

        var buffer = new byte[65536];
        var first = Encoding.UTF8.GetString(buffer, 0, journal.Receive(buffer));
        var report = Encoding.UTF8.GetString(buffer, 0, journal.Receive(buffer));
        Assert.Contains("MESSAGE=the journal is back\n", first);
        Assert.Contains("meanwhile 1 log entries went to the console and 0 were dropped\n", report);
        Assert.Contains("PRIORITY=4\n", report);
        Assert.Equal((1L, 1L, 0L), (sink.Sent, sink.FellBack, sink.Dropped));
        var lines = Lines(diagnostics);
        Assert.Equal(2, lines.Length);
        Assert.Contains("unavailable (No such file or directory)", lines[0]);
        Assert.Contains("is back after", lines[1]);
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_blocking_the_caller()
    {
        using var gate = new SemaphoreSlim(0);
        var stuck = new CollectingSink(gate);   // the sender hangs in this fallback until the gate opens
        var diagnostics = new StringWriter();
        var sink = new JournaldSink(new JournaldSinkOptions
        {
            SocketPath = MissingSocket, Fallback = stuck, Diagnostics = diagnostics, QueueCapacity = 2,
        });
        var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();

        log.Information("taken by the sender");
        await stuck.Entered.WaitAsync(Patience);
        for (var i = 0; i < 10; i++) log.Information("queued or dropped {Index}", i);   // returns at once

        Assert.Equal(8L, sink.Dropped);
        gate.Release(100);
        Assert.True(await sink.FlushAsync(Patience));
        sink.Dispose();
        Assert.Equal(3, stuck.Events.Count);
        Assert.Contains("datacrumbsd: 8 log entries were dropped and not reported in the journal", Lines(diagnostics));
    }
}
