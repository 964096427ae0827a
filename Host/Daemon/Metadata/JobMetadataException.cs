namespace Datacrumbs.Daemon.Metadata;

/// <summary>
/// A job's metadata could not be read or is malformed. The message names the job and the
/// problem in words an operator can act on; it never carries the jobspec itself.
/// </summary>
public sealed class JobMetadataException(string message, Exception? inner = null) : Exception(message, inner);
