using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Datacrumbs.Actors.Lifecycle;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The prolog's and the epilog's time budget is defined once (<see cref="TimeBudget"/>); the
/// hooks, the tracer unit, job-manager.toml and the example configuration carry numbers of
/// their own. These specs read those numbers from the shipped files and check that every
/// waiter outlasts what it waits for: a slow failure plus its cleanup must end before the
/// hook stops waiting, and the hook must end before Flux kills it.
/// </summary>
public sealed class TimeBudgetSpecs
{
    private static readonly string RunHook = File.ReadAllText(Checkout.File("deploy", "flux", "datacrumbs_service_run.sh"));
    private static readonly string StopHook = File.ReadAllText(Checkout.File("deploy", "flux", "datacrumbs_service_stop.sh"));
    private static readonly string HookArgs = File.ReadAllText(Checkout.File("deploy", "flux", "datacrumbs_hook_args.sh"));
    private static readonly string Toml = File.ReadAllText(Checkout.File("deploy", "flux", "job-manager.toml"));
    private static readonly string TracerUnit = File.ReadAllText(Checkout.File("deploy", "systemd", "datacrumbs@.service"));

    [Fact]
    public void The_hooks_wait_as_long_as_the_client_by_default()
    {
        Assert.Equal(TimeBudget.PrologClientWait, Seconds(RunHook, @"DATACRUMBS_PROLOG_TIMEOUT:-(\d+)"));
        Assert.Equal(TimeBudget.EpilogClientWait, Seconds(StopHook, @"DATACRUMBS_EPILOG_TIMEOUT:-(\d+)"));
    }

    [Fact]
    public void A_slow_failure_and_its_cleanup_end_before_the_client_stops_waiting()
    {
        var timeouts = new LifecycleTimeouts();
        // The daemon answers by LongestProlog + AnswerMargin at the latest; a restart may come first.
        Assert.True(timeouts.LongestProlog + TimeBudget.AnswerMargin + TimeBudget.RestartRetry < TimeBudget.PrologClientWait);
        Assert.True(timeouts.LongestEpilog + TimeBudget.AnswerMargin + TimeBudget.RestartRetry < TimeBudget.EpilogClientWait);
        Assert.Equal(timeouts.Stop + timeouts.Ready + timeouts.Start + timeouts.WriteEnv + timeouts.Resolve, timeouts.LongestProlog);
    }

    [Fact]
    public void The_prolog_hook_ends_before_Flux_times_it_out_and_its_cancel_before_Flux_drains_the_node()
    {
        var wait = Seconds(RunHook, @"DATACRUMBS_PROLOG_TIMEOUT:-(\d+)");
        var (backstop, backstopKill) = Backstop(HookArgs);
        var flux = Seconds(HookArgs, @"readonly flux_timeout=(\d+)");
        var fluxKill = Seconds(RunHook, @"timeout -k (\d+) ""\$flux_timeout""");
        // The client (with its backstop behind it; when the daemon is down, a second call gets what is
        // left of the wait), then `flux job info` (daemon down), `flux getattr rank` and `flux job raise`.
        var longestHook = wait + backstop + backstopKill + 3 * (flux + fluxKill);
        var fluxTimeout = FluxDuration(TomlValue("job-manager.prolog", "timeout"));
        Assert.True(longestHook < fluxTimeout, $"the prolog hook may take {longestHook.TotalSeconds} s, Flux's prolog timeout is {fluxTimeout.TotalSeconds} s");

        var cancel = Seconds(RunHook, @"DATACRUMBS_CANCEL_TIMEOUT:-(\d+)");
        var cancelKill = Seconds(HookArgs, @"timeout -k (\d+) ""\$cancel_s""");
        var killTimeout = FluxDuration(TomlValue("job-manager.prolog", "kill-timeout"));
        Assert.True(cancel + cancelKill < killTimeout, $"the prolog hook's cancel may take {(cancel + cancelKill).TotalSeconds} s, Flux's kill-timeout is {killTimeout.TotalSeconds} s");
    }

    [Fact]
    public void The_epilog_hook_ends_before_Flux_times_it_out()
    {
        var wait = Seconds(StopHook, @"DATACRUMBS_EPILOG_TIMEOUT:-(\d+)");
        var (backstop, backstopKill) = Backstop(HookArgs);
        var flux = Seconds(HookArgs, @"readonly flux_timeout=(\d+)");
        var fluxKill = Seconds(HookArgs, @"timeout -k (\d+) ""\$flux_timeout""");
        // The client, and `flux job info` when the daemon is down.
        var longestHook = wait + backstop + backstopKill + flux + fluxKill;
        var fluxTimeout = FluxDuration(TomlValue("job-manager.epilog", "timeout"));
        Assert.True(longestHook < fluxTimeout, $"the epilog hook may take {longestHook.TotalSeconds} s, Flux's epilog timeout is {fluxTimeout.TotalSeconds} s");
    }

    [Fact]
    public void The_tracer_unit_stops_within_the_daemons_stop_and_starts_within_its_start()
    {
        Assert.Equal(TimeBudget.TracerStop, Seconds(TracerUnit, @"(?m)^TimeoutStopSec=(\d+)s$"));
        Assert.True(TimeBudget.TracerStop < TimeBudget.Stop);
        Assert.True(Seconds(TracerUnit, @"(?m)^TimeoutStartSec=(\d+)s$") <= TimeBudget.Start);
        Assert.Equal(TimeBudget.TracerStop.TotalSeconds, new DaemonOptions().KillAfterSeconds);
    }

    [Fact]
    public void The_daemons_defaults_and_the_example_configuration_are_the_budgets_numbers()
    {
        Assert.Equal(new LifecycleTimeouts(), new DaemonOptions().Timeouts.ToLifecycle());

        using var example = JsonDocument.Parse(File.ReadAllText(Checkout.File("deploy", "config", "datacrumbsd.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var shipped = example.RootElement.GetProperty("Timeouts");
        foreach (var (key, expected) in new[] { ("Resolve", TimeBudget.Resolve), ("WriteEnv", TimeBudget.WriteEnv), ("Start", TimeBudget.Start), ("Ready", TimeBudget.Ready), ("Stop", TimeBudget.Stop) })
            Assert.True(TimeSpan.FromSeconds(shipped.GetProperty(key).GetDouble()) == expected, $"datacrumbsd.json Timeouts.{key} is not {expected.TotalSeconds}");
        Assert.Equal(TimeBudget.TracerStop.TotalSeconds, example.RootElement.GetProperty("KillAfterSeconds").GetDouble());
    }

    /// <summary>The client's backstop in the hooks: `readonly client_backstop_s=EXTRA` beyond the wait, then `client_kill_s=KILL` to SIGKILL.</summary>
    private static (TimeSpan Extra, TimeSpan Kill) Backstop(string hooksArgs) =>
        (Seconds(hooksArgs, @"(?m)^readonly client_backstop_s=(\d+)$"), Seconds(hooksArgs, @"(?m)^readonly client_kill_s=(\d+)$"));

    private static TimeSpan Seconds(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"'{pattern}' not found");
        return TimeSpan.FromSeconds(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>A key's value in one table of job-manager.toml, quotes removed.</summary>
    private static string TomlValue(string table, string key)
    {
        var section = Regex.Match(Toml, $@"(?ms)^\[{Regex.Escape(table)}\]\s*$(.*?)(?=^\[|\z)");
        Assert.True(section.Success, $"[{table}] not found in job-manager.toml");
        var value = Regex.Match(section.Groups[1].Value, $@"(?m)^{Regex.Escape(key)}\s*=\s*""?([^""\s]+)""?\s*$");
        Assert.True(value.Success, $"{key} not found in [{table}] of job-manager.toml");
        return value.Groups[1].Value;
    }

    /// <summary>Flux Standard Duration: a number, then s, m, h or d (seconds when none).</summary>
    private static TimeSpan FluxDuration(string text)
    {
        var match = Regex.Match(text, @"^(\d+(?:\.\d+)?)([smhd]?)$");
        Assert.True(match.Success, $"'{text}' is not a Flux Standard Duration");
        var n = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }
}
