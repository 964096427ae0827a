namespace Datacrumbs.Messages.Jobs;

/// <summary>The batch schedulers whose jobs the daemon traces; each brings its own metadata source and its own job ids.</summary>
public enum JobScheduler
{
    Flux,
    Slurm,
}
