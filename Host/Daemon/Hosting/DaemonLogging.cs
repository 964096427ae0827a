using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Journal;
using Serilog;
using Serilog.Events;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// One Serilog pipeline for the daemon, its adapters and Akka: the journal (native protocol,
/// with DATACRUMBS_* fields) where a journal exists, the console otherwise, and the console as
/// the journal's fallback while it is unavailable.
/// </summary>
public static class DaemonLogging
{
    /// <param name="systemdUnits">Whether jobs' tracers run as systemd units: only then does every job entry get DATACRUMBS_UNIT.</param>
    /// <param name="journal">The journal sink when the journal is used (its drops are a metric), else null: the console never drops, it blocks.</param>
    public static Serilog.Core.Logger Create(LogEventLevel level, LogTarget target, string? journalSocket, out JournaldSink? journal, bool systemdUnits = true)
    {
        var console = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (systemdUnits) configuration = configuration.Enrich.With<JobUnitEnricher>();
        var useJournal = target switch
        {
            LogTarget.Journal => true,
            LogTarget.Console => false,
            _ => JournaldSinkExtensions.JournalIsAvailable(journalSocket),
        };
        if (!useJournal)
        {
            journal = null;
            return configuration.WriteTo.Sink(console).CreateLogger();
        }
        journal = new JournaldSink(new JournaldSinkOptions
        {
            SocketPath = journalSocket ?? JournaldSinkOptions.DefaultSocketPath,
            Identifier = "datacrumbsd",
            Fallback = console,
        });
        return configuration.WriteTo.Sink(journal).CreateLogger();
    }
}
