namespace Datacrumbs.Daemon.Control;

/// <summary>
/// One listening socket: where, who may connect (the file's mode and, when set, its group), and
/// the limits every connection lives within.
/// </summary>
public sealed record ControlSocketOptions(string Path, UnixFileMode Mode, uint? Group, TimeSpan RequestReadTimeout, int MaxRequestBytes);
