using System.Globalization;
using System.Text.RegularExpressions;
using Datacrumbs.Ctl;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Specs.Flux;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Slurm;

/// <summary>
/// The Slurm hooks keep numbers of their own (shell cannot read C#): these specs hold them to
/// <see cref="ExitCodes"/> and <see cref="TimeBudget"/>, and to the PrologEpilogTimeout the
/// installer tells admins to set, so that a hook never outlives Slurm's patience: a prolog or
/// epilog Slurm kills drains the node.
/// </summary>
public sealed class SlurmHookSpecs
{
    private static readonly string Prolog = File.ReadAllText(Checkout.File("deploy", "slurm", "datacrumbs_slurm_prolog.sh"));
    private static readonly string Epilog = File.ReadAllText(Checkout.File("deploy", "slurm", "datacrumbs_slurm_epilog.sh"));
    private static readonly string SlurmArgs = File.ReadAllText(Checkout.File("deploy", "slurm", "datacrumbs_slurm_hook_args.sh"));
    private static readonly string HookArgs = File.ReadAllText(Checkout.File("deploy", "flux", "datacrumbs_hook_args.sh"));

    [Fact]
    public void The_prolog_hook_has_an_arm_of_its_own_for_every_exit_code()
    {
        var arms = HookExitCodeSpecs.Arms("slurm/datacrumbs_slurm_prolog.sh");
        Assert.Equal(HookExitCodeSpecs.Codes.Values.Order(), arms.Except(HookExitCodeSpecs.NotTheClients).Order());
    }

    [Fact]
    public void The_epilog_hook_has_an_arm_for_every_exit_code_that_changes_what_it_does()
    {
        var arms = HookExitCodeSpecs.Arms("slurm/datacrumbs_slurm_epilog.sh").Except(HookExitCodeSpecs.NotTheClients).ToHashSet();
        Assert.Subset(HookExitCodeSpecs.Codes.Values.ToHashSet(), arms);
        foreach (var code in new[] { ExitCodes.Ok, ExitCodes.TracingFailedJobMustFail, ExitCodes.TracingFailedJobContinues, ExitCodes.DaemonUnreachable, ExitCodes.NoReplyInTime })
            Assert.Contains(code, arms);
    }

    [Fact]
    public void The_hooks_wait_as_long_as_the_client_by_default()
    {
        Assert.Equal(TimeBudget.PrologClientWait, Seconds(Prolog, @"DATACRUMBS_PROLOG_TIMEOUT:-(\d+)"));
        Assert.Equal(TimeBudget.EpilogClientWait, Seconds(Epilog, @"DATACRUMBS_EPILOG_TIMEOUT:-(\d+)"));
    }

    [Fact]
    public void The_hooks_end_before_the_PrologEpilogTimeout_the_installer_asks_for()
    {
        var asked = Seconds(File.ReadAllText(Checkout.File("deploy", "install.sh")), @"PrologEpilogTimeout=(\d+)");
        Assert.Equal(asked, Seconds(File.ReadAllText(Checkout.File("docs", "slurm-integration.rst")), @"PrologEpilogTimeout=(\d+)"));
        var client = Seconds(HookArgs, @"(?m)^readonly client_backstop_s=(\d+)$") + Seconds(HookArgs, @"(?m)^readonly client_kill_s=(\d+)$");
        var slurm = Seconds(SlurmArgs, @"readonly slurm_timeout=(\d+)") + Seconds(SlurmArgs, @"timeout -k (\d+) ""\$slurm_timeout""");
        var log = Seconds(SlurmArgs, @"timeout (\d+) logger");

        // The prolog: the client, then scontrol show hostnames, notify, update and scancel, and its line to syslog.
        var prolog = Seconds(Prolog, @"DATACRUMBS_PROLOG_TIMEOUT:-(\d+)") + client + 4 * slurm + log;
        Assert.True(prolog < asked, $"the prolog hook may take {prolog.TotalSeconds} s, PrologEpilogTimeout is {asked.TotalSeconds} s");
        var epilog = Seconds(Epilog, @"DATACRUMBS_EPILOG_TIMEOUT:-(\d+)") + client + log;
        Assert.True(epilog < asked, $"the epilog hook may take {epilog.TotalSeconds} s, PrologEpilogTimeout is {asked.TotalSeconds} s");
    }

    private static int[] Match(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"'{pattern}' not found");
        return [.. match.Groups.Values.Skip(1).Select(g => int.Parse(g.Value, CultureInfo.InvariantCulture))];
    }

    private static TimeSpan Seconds(string text, string pattern) => TimeSpan.FromSeconds(Match(text, pattern)[0]);
}
