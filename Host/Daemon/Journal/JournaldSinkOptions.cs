using Serilog.Core;

namespace Datacrumbs.Daemon.Journal;

/// <summary>Settings of <see cref="JournaldSink"/>; the defaults suit the daemon.</summary>
public sealed record JournaldSinkOptions
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";

    /// <summary>The journal's native socket.</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>SYSLOG_IDENTIFIER of every entry (<c>journalctl -t datacrumbsd</c>).</summary>
    public string Identifier { get; init; } = "datacrumbsd";

    /// <summary>Entries waiting for the sender; past that, new entries are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Where entries go while the journal is unavailable (e.g. the console); none: they are dropped.</summary>
    public ILogEventSink? Fallback { get; init; }

    /// <summary>Where the sink says that the journal is unavailable, back, or losing entries
    /// (one line each time); standard error when not set.</summary>
    public TextWriter? Diagnostics { get; init; }

    /// <summary>How long a send may block on a journal that does not read, before the sink
    /// treats the journal as unavailable.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the sink waits before trying an unavailable journal again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most one journal entry about dropped entries in this interval.</summary>
    public TimeSpan DropReportInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long <see cref="JournaldSink.Dispose"/> waits for queued entries to go out.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
