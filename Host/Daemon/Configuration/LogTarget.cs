namespace Datacrumbs.Daemon.Configuration;

public enum LogTarget
{
    /// <summary>The journal where its socket exists, the console otherwise.</summary>
    Auto,
    Journal,
    Console,
}
