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
    public static Serilog.Core.Logger Create(LogEventLevel level, LogTarget target, string? journalSocket, bool systemdUnits = true)
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
        return useJournal
            ? configuration.WriteTo.Journald(journalSocket, "datacrumbsd", fallback: console).CreateLogger()
            : configuration.WriteTo.Sink(console).CreateLogger();
    }
}
