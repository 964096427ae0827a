namespace Datacrumbs.Actors.Lifecycle;

/// <summary>Why a lifecycle was created, which decides its first state.</summary>
public enum LifecycleStart
{
    /// <summary>A prolog: resolve the metadata and start tracing.</summary>
    Prolog,
    /// <summary>An epilog for a job this daemon does not track: make sure nothing is left.</summary>
    Epilog,
    /// <summary>A tracer found running after a daemon restart: Ready until its epilog.</summary>
    Adopted,
    /// <summary>The job's previous lifecycle crashed: clean up, then hold the failure.</summary>
    AfterCrash,
}
