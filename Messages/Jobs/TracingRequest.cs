namespace Datacrumbs.Messages.Jobs;

/// <summary>
/// What a job asked for: the jobspec's <c>attributes.system.datacrumbs</c> object,
/// <c>{"enable":"yes","probe_file":"/abs/path"}</c>. The service wrapper fabricates the same.
/// </summary>
public sealed record TracingRequest(string Enable, string ProbeFile)
{
    public bool IsEnabled => Enable == "yes";
}
