namespace Datacrumbs.Specs.Harness;

/// <summary>
/// Specs that load the machine on purpose (the soak, a user flooding a socket) run alone, after
/// the others: on 2 cores they would starve timing-bounded specs running beside them, and be
/// starved by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
