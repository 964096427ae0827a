using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace Datacrumbs.Daemon.Journal;

public static class JournaldSinkExtensions
{
    /// <summary>
    /// Writes to the journal's native socket through a <see cref="JournaldSink"/>; while the
    /// journal is unavailable, entries go to <paramref name="fallback"/> if given. The sink is
    /// disposed (queued entries sent) with the logger: call <c>Log.CloseAndFlush()</c> at exit.
    /// </summary>
    public static LoggerConfiguration Journald(this LoggerSinkConfiguration sinks,
        string? socketPath = null, string identifier = "datacrumbsd", ILogEventSink? fallback = null,
        LogEventLevel restrictedToMinimumLevel = LevelAlias.Minimum) =>
        sinks.Sink(new JournaldSink(new JournaldSinkOptions
        {
            SocketPath = socketPath ?? JournaldSinkOptions.DefaultSocketPath,
            Identifier = identifier,
            Fallback = fallback,
        }), restrictedToMinimumLevel);

    /// <summary>
    /// Whether a journal is there: its native socket exists (File.Exists is true for a socket).
    /// A stale socket file passes; the sink then falls back and says so. For the daemon's choice
    /// between journal and console.
    /// </summary>
    public static bool JournalIsAvailable(string? socketPath = null) =>
        File.Exists(socketPath ?? JournaldSinkOptions.DefaultSocketPath);
}
