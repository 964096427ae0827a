using System.CommandLine;
using Datacrumbs.Ctl;

var root = new RootCommand("datacrumbsctl probes (test host)");
root.Subcommands.Add(ProbesCommand.Create());
return await root.Parse(args).InvokeAsync();
