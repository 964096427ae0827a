using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Datacrumbs.Daemon.Journal;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;
using Serilog;
using Serilog.Events;

namespace Datacrumbs.Specs.Journal;

/// <summary>
/// Akka's own logging (what the actors write with <c>Context.GetLogger()</c>) goes through
/// Akka.Logger.Serilog into Serilog, named template holes arriving as Serilog properties, and
/// from there into the journal. Akka.Logger.Serilog writes to the static <c>Log.Logger</c>, so
/// this class sets it; no other spec may rely on it.
/// </summary>
public sealed class AkkaSerilogSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The Akka configuration the daemon uses to send its logs to Serilog.</summary>
    public static readonly Config SerilogLogging = ConfigurationFactory.ParseString("""
        akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.loglevel = INFO
        akka.stdout-loglevel = OFF
        """);

    private sealed class LoggingActor : ReceiveActor
    {
        private readonly ILoggingAdapter _log = Context.GetLogger();

        public LoggingActor() =>
            Receive<JobId>(job =>
            {
                _log.Info("{JobId}: tracer ready after {ReadyMs} ms", job, 12.5);
                _log.Error(new InvalidOperationException("unit failed\nsecond line"), "{JobId}: tracing failed in {FailedState}: {Cause}", job, "StartingUnit", "unit failed");
            });
    }

    [Fact]
    public async Task Actor_logs_reach_serilog_with_the_template_holes_as_properties_and_then_the_journal()
    {
        var job = new JobId((ulong)Random.Shared.NextInt64(1, long.MaxValue));
        var collected = new CollectingSink();
        using var journal = new JournaldSink(new JournaldSinkOptions { SocketPath = sandbox.JournalSocket, Diagnostics = new StringWriter() });
        Log.Logger = new LoggerConfiguration().WriteTo.Sink(collected).WriteTo.Sink(journal).CreateLogger();
        using var system = ActorSystem.Create("akka-serilog-spec", SerilogLogging);
        try
        {
            system.ActorOf(Props.Create(() => new LoggingActor()), "lifecycle").Tell(job);

            var ready = await collected.WaitForAsync(e => e.MessageTemplate.Text.Contains("tracer ready"), Patience);
            var failed = await collected.WaitForAsync(e => e.Level == LogEventLevel.Error, Patience);

            Assert.Equal("{JobId}: tracer ready after {ReadyMs} ms", ready.MessageTemplate.Text);
            Assert.Equal(job.ToString(), JournalEntryEncoder.Render(ready.Properties["JobId"]));
            Assert.Equal("12.5", JournalEntryEncoder.Render(ready.Properties["ReadyMs"]));
            Assert.Equal(typeof(LoggingActor).FullName, JournalEntryEncoder.Render(ready.Properties["SourceContext"]));
            Assert.Equal("StartingUnit", JournalEntryEncoder.Render(failed.Properties["FailedState"]));
            Assert.Equal("unit failed\nsecond line", failed.Exception?.Message);

            Assert.True(await journal.FlushAsync(Patience));
            var entries = await JournalQuery.EntriesAsync(sandbox, $"DATACRUMBS_JOB_ID={job}");
            Assert.Equal(2, entries.Count);
            Assert.Equal($"{job}: tracer ready after 12.5 ms", entries[0]["MESSAGE"]);
            Assert.Equal("6", entries[0]["PRIORITY"]);
            Assert.Equal($"{job}: tracing failed in StartingUnit: unit failed", entries[1]["MESSAGE"]);
            Assert.Equal("unit failed", entries[1]["DATACRUMBS_CAUSE"]);
            Assert.Contains("second line", entries[1]["EXCEPTION"]);
        }
        finally
        {
            await system.Terminate();
            Log.Logger = Serilog.Core.Logger.None;
        }
    }
}
