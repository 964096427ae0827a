using System.Globalization;
using System.Text;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Daemon.Metrics;

/// <summary>
/// Renders a snapshot in the Prometheus text exposition format (0.0.4), as node_exporter's textfile
/// collector reads it: HELP and TYPE before each family, counters ending in _total, seconds as the
/// unit, label values in snake_case from the enums.
/// </summary>
public static class PrometheusText
{
    /// <param name="logDrops">Log entries dropped by reason, or null where the daemon logs to the console (which never drops): then no such series at all.</param>
    public static string Render(MetricsSnapshot m, DateTimeOffset daemonStarted, IReadOnlyList<(string Reason, long Count)>? logDrops = null)
    {
        var text = new StringBuilder();
        Family(text, "datacrumbs_jobs", "gauge", "Jobs on this node by lifecycle state.");
        foreach (var (state, count) in m.JobsByState) Sample(text, "datacrumbs_jobs", count, ("state", Label(state)));

        Family(text, "datacrumbs_lifecycles_ended_total", "counter", "Job lifecycles ended, by outcome (a traced job's prolog and epilog are one lifecycle).");
        foreach (var (outcome, count) in m.EndedByOutcome) Sample(text, "datacrumbs_lifecycles_ended_total", count, ("outcome", Label(outcome)));

        Family(text, "datacrumbs_lifecycle_failures_total", "counter", "Lifecycles that failed and cleaned up, by the state whose step failed (a failed prolog's lifecycle then ends with its epilog).");
        foreach (var (state, count) in m.FailuresByState) Sample(text, "datacrumbs_lifecycle_failures_total", count, ("state", Label(state)));

        HistogramFamily(text, "datacrumbs_prolog_seconds", "Time from a prolog's arrival to its answer (ready, not requested or failed).", m.PrologSeconds);
        HistogramFamily(text, "datacrumbs_time_to_ready_seconds", "Time from a prolog's arrival to the tracer's ready file.", m.TimeToReadySeconds);

        Counter(text, "datacrumbs_tracer_ends_after_ready_total", "Tracers that ended after they were ready, before the job's epilog (the job ran on untraced).", m.TracerEndsAfterReady);
        Counter(text, "datacrumbs_lifecycle_crashes_total", "Lifecycles that threw and were replaced by a cleanup (a bug: see the journal).", m.Crashes);
        Counter(text, "datacrumbs_jobs_adopted_total", "Running tracers found and adopted at daemon start.", m.Adopted);
        Counter(text, "datacrumbs_leftovers_cleaned_total", "Files or tracers of ended jobs found and cleaned up at daemon start.", m.Leftovers);

        if (logDrops is not null)
        {
            Family(text, "datacrumbs_log_entries_dropped_total", "counter", "Log entries the journal sink wrote nowhere, by reason (queue full, too large, journal unavailable without fallback, failed).");
            foreach (var (reason, count) in logDrops) Sample(text, "datacrumbs_log_entries_dropped_total", count, ("reason", reason));
        }

        Family(text, "datacrumbs_daemon_start_time_seconds", "gauge", "When this daemon started, in seconds since the epoch (a change is a restart).");
        Sample(text, "datacrumbs_daemon_start_time_seconds", daemonStarted.ToUnixTimeMilliseconds() / 1000.0);
        return text.ToString();
    }

    /// <summary>"AwaitingReady" -> "awaiting_ready", "NotRequested" -> "not_requested".</summary>
    public static string Label<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var snake = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) snake.Append('_');
            snake.Append(char.ToLowerInvariant(name[i]));
        }
        return snake.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Family(text, name, "counter", help);
        Sample(text, name, value);
    }

    private static void HistogramFamily(StringBuilder text, string name, string help, Histogram h)
    {
        Family(text, name, "histogram", help);
        foreach (var (bound, count) in h.Cumulative()) Sample(text, name + "_bucket", count, ("le", Number(bound)));
        Sample(text, name + "_bucket", h.Count, ("le", "+Inf"));
        Sample(text, name + "_sum", h.Sum);
        Sample(text, name + "_count", h.Count);
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, double value, params (string Name, string Value)[] labels)
    {
        text.Append(name);
        if (labels.Length > 0)
            text.Append('{').AppendJoin(',', labels.Select(l => $"{l.Name}=\"{l.Value}\"")).Append('}');
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
