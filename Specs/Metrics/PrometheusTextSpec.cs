using Datacrumbs.Daemon.Metrics;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.Metrics;

/// <summary>The counters as the supervisor feeds them, and the text node_exporter reads.</summary>
public sealed class PrometheusTextSpec
{
    private static readonly DateTimeOffset Started = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static string Line(string text, string prefix) =>
        text.Split('\n').Single(l => l.StartsWith(prefix + " ", StringComparison.Ordinal));

    private static JobAnswer Answer(Outcome outcome, LifecycleState state) => new(new JobId(1), outcome, state, "", TimeSpan.Zero);

    [Fact]
    public void A_traced_job_walks_the_gauges_and_ends_as_one_stopped_lifecycle()
    {
        var counters = new LifecycleCounters();
        LifecycleState? last = null;
        foreach (var state in new[] { LifecycleState.Resolving, LifecycleState.WritingEnv, LifecycleState.StartingUnit, LifecycleState.AwaitingReady, LifecycleState.Ready })
        {
            counters.StateEntered(last, state);
            last = state;
        }
        counters.PrologAnswered(Outcome.Ready, TimeSpan.FromMilliseconds(300));

        var ready = PrometheusText.Render(counters.Snapshot(), Started);
        Assert.Equal("datacrumbs_jobs{state=\"ready\"} 1", Line(ready, "datacrumbs_jobs{state=\"ready\"}"));
        Assert.Equal("datacrumbs_jobs{state=\"awaiting_ready\"} 0", Line(ready, "datacrumbs_jobs{state=\"awaiting_ready\"}"));
        Assert.Equal("datacrumbs_time_to_ready_seconds_bucket{le=\"0.25\"} 0", Line(ready, "datacrumbs_time_to_ready_seconds_bucket{le=\"0.25\"}"));
        Assert.Equal("datacrumbs_time_to_ready_seconds_bucket{le=\"0.5\"} 1", Line(ready, "datacrumbs_time_to_ready_seconds_bucket{le=\"0.5\"}"));
        Assert.Equal("datacrumbs_time_to_ready_seconds_bucket{le=\"+Inf\"} 1", Line(ready, "datacrumbs_time_to_ready_seconds_bucket{le=\"+Inf\"}"));
        Assert.Equal("datacrumbs_time_to_ready_seconds_sum 0.3", Line(ready, "datacrumbs_time_to_ready_seconds_sum"));

        counters.StateEntered(LifecycleState.Ready, LifecycleState.Stopping);
        counters.StateEntered(LifecycleState.Stopping, LifecycleState.Done);
        counters.LifecycleEnded(LifecycleState.Done, Answer(Outcome.Stopped, LifecycleState.Done));

        var ended = PrometheusText.Render(counters.Snapshot(), Started);
        Assert.All(ended.Split('\n').Where(l => l.StartsWith("datacrumbs_jobs{", StringComparison.Ordinal)), l => Assert.EndsWith(" 0", l));
        Assert.Equal("datacrumbs_lifecycles_ended_total{outcome=\"stopped\"} 1", Line(ended, "datacrumbs_lifecycles_ended_total{outcome=\"stopped\"}"));
        Assert.Equal("datacrumbs_daemon_start_time_seconds 1800000000", Line(ended, "datacrumbs_daemon_start_time_seconds"));
    }

    [Fact]
    public void A_failure_is_counted_by_the_state_it_failed_in_and_a_crash_leaves_no_job_behind()
    {
        var counters = new LifecycleCounters();
        counters.StateEntered(null, LifecycleState.Resolving);
        counters.StateEntered(LifecycleState.Resolving, LifecycleState.Failing);
        counters.PrologAnswered(Outcome.Failed, TimeSpan.FromSeconds(2));
        counters.StateEntered(LifecycleState.Failing, LifecycleState.Failed);
        counters.StateEntered(LifecycleState.Failed, LifecycleState.Done);
        counters.LifecycleEnded(LifecycleState.Done, Answer(Outcome.Stopped, LifecycleState.Done));
        counters.StateEntered(null, LifecycleState.AwaitingReady);
        counters.LifecycleCrashed(LifecycleState.AwaitingReady);

        var text = PrometheusText.Render(counters.Snapshot(), Started);
        Assert.Equal("datacrumbs_lifecycle_failures_total{state=\"resolving\"} 1", Line(text, "datacrumbs_lifecycle_failures_total{state=\"resolving\"}"));
        Assert.Equal("datacrumbs_lifecycle_crashes_total 1", Line(text, "datacrumbs_lifecycle_crashes_total"));
        Assert.Equal("datacrumbs_prolog_seconds_count 1", Line(text, "datacrumbs_prolog_seconds_count"));
        Assert.Equal("datacrumbs_time_to_ready_seconds_count 0", Line(text, "datacrumbs_time_to_ready_seconds_count"));
        Assert.All(text.Split('\n').Where(l => l.StartsWith("datacrumbs_jobs{", StringComparison.Ordinal)), l => Assert.EndsWith(" 0", l));
    }

    [Fact]
    public void Every_family_has_help_and_type_before_its_samples_and_labels_only_from_enums()
    {
        var text = PrometheusText.Render(new LifecycleCounters().Snapshot(), Started);
        var declared = new HashSet<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) { declared.Add(line.Split(' ')[2]); continue; }
            if (line.StartsWith('#')) continue;
            var name = line.Split('{', ' ')[0];
            Assert.Contains(declared, family => name == family || name.StartsWith(family + "_", StringComparison.Ordinal));
        }
        // One series per state and outcome: the number of series is fixed, whatever the jobs.
        Assert.Equal(Enum.GetValues<LifecycleState>().Length, text.Split('\n').Count(l => l.StartsWith("datacrumbs_jobs{", StringComparison.Ordinal)));
        Assert.Equal(Enum.GetValues<Outcome>().Length, text.Split('\n').Count(l => l.StartsWith("datacrumbs_lifecycles_ended_total{", StringComparison.Ordinal)));
    }
}
