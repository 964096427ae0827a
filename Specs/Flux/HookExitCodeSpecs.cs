using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Datacrumbs.Ctl;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The hooks map datacrumbsctl's exit codes with literal numbers in a `case "$rc" in` block;
/// these specs read those arms from the shipped scripts and hold them to <see cref="ExitCodes"/>,
/// so a renumbered or new code cannot slip past a hook unnoticed.
/// </summary>
public sealed class HookExitCodeSpecs
{
    // timeout(1)'s own codes (124, 137: the backstop fired) and the shell's (126, 127: cannot run the client).
    internal static readonly int[] NotTheClients = [124, 126, 127, 137];

    internal static readonly Dictionary<string, int> Codes = typeof(ExitCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);

    [Fact]
    public void The_prolog_hook_has_an_arm_of_its_own_for_every_exit_code()
    {
        var arms = Arms("datacrumbs_service_run.sh");
        Assert.Equal(Codes.Values.Order(), arms.Except(NotTheClients).Order());
    }

    [Fact]
    public void The_epilog_hook_names_only_real_exit_codes_and_every_one_that_changes_what_it_does()
    {
        var arms = Arms("datacrumbs_service_stop.sh").Except(NotTheClients).ToHashSet();
        Assert.Subset(Codes.Values.ToHashSet(), arms);
        // The rest (usage, forbidden, rejected) fall to the default arm: "the stop is not confirmed".
        foreach (var name in new[] { nameof(ExitCodes.Ok), nameof(ExitCodes.TracingFailedJobMustFail), nameof(ExitCodes.TracingFailedJobContinues), nameof(ExitCodes.DaemonUnreachable), nameof(ExitCodes.NoReplyInTime) })
            Assert.True(arms.Contains(Codes[name]), $"the epilog hook has no arm for {name} ({Codes[name]})");
    }

    [Fact]
    public void The_clients_help_explains_every_exit_code()
    {
        foreach (var (name, code) in Codes)
            Assert.True(Regex.IsMatch(ExitCodes.Help, $@"(?m)^\s+{code}\s+\S"), $"ExitCodes.Help does not explain {name} ({code})");
    }

    /// <summary>The numbers of the arms of the hook's `case "$rc" in` block (a Flux hook, or a path under deploy/).</summary>
    internal static IReadOnlyList<int> Arms(string hook)
    {
        var text = File.ReadAllText(hook.Contains('/', StringComparison.Ordinal) ? Checkout.File(["deploy", .. hook.Split('/')]) : Checkout.File("deploy", "flux", hook));
        var block = Regex.Match(text, @"(?ms)^case ""\$rc"" in$(.*?)^esac$");
        Assert.True(block.Success, $"{hook}: no case \"$rc\" in ... esac block");
        var arms = Regex.Matches(block.Groups[1].Value, @"(?m)^\s+(\d+(?:\|\d+)*)\)")
            .SelectMany(m => m.Groups[1].Value.Split('|'))
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(arms.Count == arms.Distinct().Count(), $"{hook}: an exit code has two arms");
        return arms;
    }
}
