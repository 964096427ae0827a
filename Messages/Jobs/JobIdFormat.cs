namespace Datacrumbs.Messages.Jobs;

/// <summary>The text forms of a job id, named as `flux job id --to=` names them.</summary>
public enum JobIdFormat
{
    Decimal,
    F58,
    F58Plain,
    Hex,
    DotHex,
    Kvs,
}
