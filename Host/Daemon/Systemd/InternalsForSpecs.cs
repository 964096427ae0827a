using System.Runtime.CompilerServices;

// The specs reach the systemd backend's seams for races (BeforeStartUnitSent): the daemon's
// assembly is not a library, so nothing else sees its internals.
[assembly: InternalsVisibleTo("Datacrumbs.Specs")]
