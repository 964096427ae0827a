using Datacrumbs.Daemon.Journal;

namespace Datacrumbs.Daemon.Metrics;

/// <summary>
/// The journal sink's dropped entries, for the metrics. Only the journal sink can drop (a bounded
/// queue that never blocks the logging thread); the console sink writes synchronously and never
/// drops, so without a journal there is nothing to count and no series is exported.
/// </summary>
public sealed class LogDrops(JournaldSink? journal)
{
    /// <summary>Raised after a drop, on the dropping thread.</summary>
    public event Action? Changed
    {
        add { if (journal is not null) journal.EntryDropped += value; }
        remove { if (journal is not null) journal.EntryDropped -= value; }
    }

    /// <summary>By reason (label values from this fixed set), or null without a journal sink.</summary>
    public IReadOnlyList<(string Reason, long Count)>? Read()
    {
        if (journal is null) return null;
        var (queueFull, tooLarge, unavailable, failed) = journal.DroppedBy;
        return [("queue_full", queueFull), ("too_large", tooLarge), ("journal_unavailable", unavailable), ("failed", failed)];
    }
}
