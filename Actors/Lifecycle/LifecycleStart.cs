namespace Datacrumbs.Actors.Lifecycle;

/// <summary>Why a lifecycle was created, which decides its first state.</summary>
public enum LifecycleStart
{
    /// <summary>A prolog: resolve the metadata and start tracing (on receiving that prolog).</summary>
    Prolog,
    /// <summary>An epilog for a job this daemon does not track: make sure nothing is left (on receiving that epilog).</summary>
    Epilog,
    /// <summary>Files of a job an earlier run of the daemon left with no tracer running: clean up at once.</summary>
    Leftover,
    /// <summary>A tracer found running after a daemon restart: Ready until its epilog.</summary>
    Adopted,
    /// <summary>The job's previous lifecycle crashed: clean up, then hold the failure.</summary>
    AfterCrash,
}
