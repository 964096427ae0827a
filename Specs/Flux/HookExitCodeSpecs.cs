using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Datacrumbs.Ctl;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The hooks map datacrumbsctl's exit codes with literal numbers in a `case "$rc" in` block, one
/// for prologs and one for epilogs of every scheduler (prolog_outcome and epilog_outcome in
/// datacrumbs_hook_args.sh); these specs read the arms of the block each shipped hook calls and
/// hold them to <see cref="ExitCodes"/>, so a renumbered or new code cannot slip past a hook unnoticed.
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

    /// <summary>
    /// The numbers of the arms of the `case "$rc" in` block the hook uses: the shared
    /// prolog_outcome or epilog_outcome it calls (a Flux hook, or a path under deploy/).
    /// </summary>
    internal static IReadOnlyList<int> Arms(string hook)
    {
        var text = File.ReadAllText(hook.Contains('/', StringComparison.Ordinal) ? Checkout.File(["deploy", .. hook.Split('/')]) : Checkout.File("deploy", "flux", hook));
        var call = Regex.Match(text, @"(?m)^(prolog_outcome|epilog_outcome)$");
        Assert.True(call.Success, $"{hook}: calls neither prolog_outcome nor epilog_outcome");
        var shared = File.ReadAllText(Checkout.File("deploy", "flux", "datacrumbs_hook_args.sh"));
        var function = Regex.Match(shared, $@"(?ms)^{call.Groups[1].Value}\(\) \{{$(.*?)^\}}$");
        Assert.True(function.Success, $"datacrumbs_hook_args.sh: no {call.Groups[1].Value}() {{ ... }} for {hook}");
        var block = Regex.Match(function.Groups[1].Value, @"(?ms)^\s*case ""\$rc"" in$(.*?)^\s*esac$");
        Assert.True(block.Success, $"{call.Groups[1].Value}: no case \"$rc\" in ... esac block");
        var arms = Regex.Matches(block.Groups[1].Value, @"(?m)^\s+(\d+(?:\|\d+)*)\)")
            .SelectMany(m => m.Groups[1].Value.Split('|'))
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(arms.Count == arms.Distinct().Count(), $"{call.Groups[1].Value}: an exit code has two arms");
        return arms;
    }
}
