using System.CommandLine;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Ctl;

/// <summary>
/// <c>datacrumbsctl jobid ID... [--to FORM]</c>: converts job ids like <c>flux job id</c>
/// (same form names, same default: decimal), so operators can match journal fields and
/// unit names (f58plain, e.g. <c>datacrumbs@fLUv.service</c>) to what Flux prints, on nodes
/// where flux itself is not at hand.
/// </summary>
public static class JobIdCommand
{
    private static readonly (string Name, JobIdFormat Format)[] Forms =
    [
        ("dec", JobIdFormat.Decimal),
        ("f58", JobIdFormat.F58),
        ("f58plain", JobIdFormat.F58Plain),
        ("hex", JobIdFormat.Hex),
        ("dothex", JobIdFormat.DotHex),
        ("kvs", JobIdFormat.Kvs),
    ];

    /// <param name="unicodePrefix">Whether f58 takes 'ƒ' (default: as flux decides it in this
    /// process's locale, see <see cref="F58Locale"/>), so the output is what `flux job id` prints.</param>
    public static Command Create(Func<bool>? unicodePrefix = null)
    {
        var ids = new Argument<string[]>("ID")
        {
            Description = "Job ids in any form: decimal, f58 (ƒ or f prefix), 0x hex, dothex, kvs; a Slurm id as s42 (to dec only)",
            Arity = ArgumentArity.OneOrMore,
        };
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output form: dec, f58 (ƒ in a UTF-8 locale, else f, like flux), f58plain (always f: unit and file names), hex, dothex, kvs",
            DefaultValueFactory = _ => "dec",
        };
        to.AcceptOnlyFromAmong(Forms.Select(f => f.Name).ToArray());

        var command = new Command("jobid", "Convert Flux job ids between forms (like `flux job id`)") { ids, to };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var format = Forms.First(f => f.Name == parseResult.GetValue(to)).Format;
            if (format is JobIdFormat.F58 && !(unicodePrefix ?? F58Locale.UsesUnicodePrefix)()) format = JobIdFormat.F58Plain;
            foreach (var text in parseResult.GetValue(ids) ?? [])
            {
                if (!JobId.TryParse(text, out var id, out var problem))
                {
                    // Like flux job id: stop at the first bad input, after printing the good ones.
                    error.WriteLine($"datacrumbsctl jobid: {problem}");
                    return 2;
                }
                if (id.Scheduler != JobScheduler.Flux && format != JobIdFormat.Decimal)
                {
                    error.WriteLine($"datacrumbsctl jobid: {id} is a {id.Scheduler} job id: it has only its decimal form, {id.Format(JobIdFormat.Decimal)}");
                    return 2;
                }
                output.WriteLine(id.Format(format));
            }
            return 0;
        });
        return command;
    }
}
