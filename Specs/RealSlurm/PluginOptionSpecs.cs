namespace Datacrumbs.Specs.RealSlurm;

/// <summary>
/// The SPANK plugin gives srun, sbatch and salloc both options: Slurm lists them under "Options
/// provided by plugins" only when the plugin registered them in that program (the exported
/// option table alone reaches srun only).
/// </summary>
[Collection(RealSlurmCollection.Name)]
public sealed class PluginOptionSpecs(RealSlurmCluster slurm)
{
    [SkippableTheory]
    [InlineData("srun")]
    [InlineData("sbatch")]
    [InlineData("salloc")]
    public async Task Every_submit_command_offers_both_options(string program)
    {
        slurm.Require();

        var help = (await slurm.AsUserAsync("dcalice", program, "--help")).EnsureSuccess($"{program} --help").Stdout;

        var plugins = help[help.IndexOf("Options provided by plugins", StringComparison.Ordinal)..];
        Assert.Contains("--datacrumbs-enable", plugins);
        Assert.Contains("--datacrumbs-probe-file=PATH", plugins);
    }
}
