using Akka.Hosting;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Daemon.Adoption;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Control;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Brings the node agent up in order: adopt what an earlier run left, then open the control
/// sockets (so no prolog is served before adoption); closes them first on the way down.
/// </summary>
public sealed class DaemonService(
    DaemonOptions options,
    IRequiredActor<JobSupervisor> supervisor,
    IUnitBackend units,
    EnvFileStore envFiles,
    RequestHandler handler,
    ConnectionSlots slots,
    SystemdListenSockets fromSystemd,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _log = loggers.CreateLogger<DaemonService>();
    private readonly List<ControlSocketServer> _servers = [];

    /// <summary>The FileDescriptorName= of the socket units (deploy/systemd/datacrumbsd*.socket) that systemd passes.</summary>
    public const string HooksSocketName = "hooks", PublicSocketName = "public";

    public async Task StartAsync(CancellationToken ct)
    {
        var jobs = await supervisor.GetAsync(ct);
        var survey = await StartupAdoption.SurveyAsync(options.RunDir, units, envFiles, ct);
        if (survey.Running.Count + survey.Leftovers.Count > 0)
            _log.LogWarning("found {Running} running job(s) to adopt and {Leftovers} leftover(s) to clean up in {RunDir}",
                survey.Running.Count, survey.Leftovers.Count, options.RunDir);
        jobs.Tell(survey, Akka.Actor.ActorRefs.NoSender);

        var readTimeout = TimeSpan.FromSeconds(options.RequestReadSeconds);
        // The hooks' socket first: a user flooding the public one cannot fill its backlog.
        var hookGroup = HookGroup();
        foreach (var (name, socket) in new[]
                 {
                     (HooksSocketName, new ControlSocketOptions(options.HookSocketPath, hookGroup is null ? SocketModes.RootOnly : SocketModes.RootAndGroup, hookGroup, readTimeout, Frames.DefaultMaxRequestBytes)),
                     // Anyone may connect (status is for everyone).
                     (PublicSocketName, new ControlSocketOptions(options.SocketPath, SocketModes.Everyone, null, readTimeout, Frames.DefaultMaxRequestBytes)),
                 })
        {
            var server = new ControlSocketServer(socket, handler, slots, loggers.CreateLogger<ControlSocketServer>());
            _servers.Add(server);
            server.Start(fromSystemd.Take(name));
        }
        // A socket unit added to Sockets= by mistake: its connections would wait for ever. Say so; systemd keeps it open.
        foreach (var (name, fd) in fromSystemd.Remaining.ToList())
        {
            _log.LogWarning("systemd passed a socket named {Name} (descriptor {Fd}) that datacrumbsd does not serve: remove its socket unit from Sockets= in datacrumbsd.service", name, fd);
            fromSystemd.Take(name)?.Dispose();
        }
        // Said once the whole host has started, when systemd hears READY=1 too: after it the daemon has nothing left to do until a request comes.
        lifetime.ApplicationStarted.Register(() =>
            _log.LogInformation("datacrumbsd ready: backend {Backend}, run dir {RunDir}, on failure {OnFailure}", units.Name, options.RunDir, options.OnFailure));
    }

    /// <summary>Closes the sockets and answers every request in flight "shutting down" before the actors stop.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        foreach (var server in _servers) await server.DisposeAsync();
    }

    private uint? HookGroup()
    {
        if (options.HookSocketGroup is not { Length: > 0 } name) return null;
        if (Messages.Unix.UnixAccounts.LookupGroup(name) is { } gid) return gid;
        _log.LogWarning("HookSocketGroup {Group} is not a group on this node: {Socket} admits root only; the group's hooks use {PublicSocket}",
            name, options.HookSocketPath, options.SocketPath);
        return null;
    }
}
