namespace Datacrumbs.Daemon.ProcessBackend;

/// <summary>How the process backend runs the tracer.</summary>
public sealed record ProcessBackendOptions(
    string RunDir,
    IReadOnlyList<string> Tracer,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan KillAfter);
