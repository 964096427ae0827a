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

    public static Command Create()
    {
        var ids = new Argument<string[]>("ID")
        {
            Description = "Job ids in any form: decimal, f58 (ƒ or f prefix), 0x hex, dothex, kvs",
            Arity = ArgumentArity.OneOrMore,
        };
        var to = new Option<string>("--to", "-t")
        {
            Description = "Output form: dec, f58, f58plain (unit and file names), hex, dothex, kvs",
            DefaultValueFactory = _ => "dec",
        };
        to.AcceptOnlyFromAmong(Forms.Select(f => f.Name).ToArray());

        var command = new Command("jobid", "Convert Flux job ids between forms (like `flux job id`)") { ids, to };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var format = Forms.First(f => f.Name == parseResult.GetValue(to)).Format;
            foreach (var text in parseResult.GetValue(ids) ?? [])
            {
                if (!JobId.TryParse(text, out var id, out var problem))
                {
                    // Like flux job id: stop at the first bad input, after printing the good ones.
                    error.WriteLine($"datacrumbsctl jobid: {problem}");
                    return 2;
                }
                output.WriteLine(id.Format(format));
            }
            return 0;
        });
        return command;
    }
}
