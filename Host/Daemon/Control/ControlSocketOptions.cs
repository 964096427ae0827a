namespace Datacrumbs.Daemon.Control;

/// <summary>The limits every control connection lives within.</summary>
public sealed record ControlSocketOptions(string Path, TimeSpan RequestReadTimeout, int MaxRequestBytes);
