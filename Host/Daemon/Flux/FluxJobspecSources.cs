using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Users;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// Picks how the daemon reads a Flux jobspec: through libflux-core when the Flux install of the
/// configured flux command has it (no process per job: the prolog of a job that did not ask for
/// tracing costs a few milliseconds less), else by running <c>flux job info</c>.
/// </summary>
public static class FluxJobspecSources
{
    /// <summary>The source, and one sentence for the log saying which one and why.</summary>
    public static (IJobMetadataSource Source, string How) Create(UserDirectory users, string fluxCommand, bool useLibrary)
    {
        if (!useLibrary)
            return (new FluxJobspecSource(users, fluxCommand), $"jobspecs read with '{fluxCommand} job info' (FluxLibrary is false)");
        // The owner's connection is opened with per-thread credentials, whose system call numbers are x86_64's.
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            return (new FluxJobspecSource(users, fluxCommand), $"jobspecs read with '{fluxCommand} job info' (the library path is built for x86_64 only)");
        if (LibFluxCore.TryLoad(fluxCommand, out var why) is { } flux)
            return (new FluxLibraryJobspecSource(flux, users, new FluxJobspecSource(users, fluxCommand)), $"jobspecs read through {flux.Path} (job-info.lookup, one handle per broker)");
        return (new FluxJobspecSource(users, fluxCommand), $"jobspecs read with '{fluxCommand} job info': {why}");
    }
}
