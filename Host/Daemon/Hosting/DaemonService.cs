using Akka.Hosting;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Actors.Supervision;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Daemon.Control;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Messages.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datacrumbs.Daemon.Hosting;

/// <summary>
/// Brings the node agent up in order: adopt what an earlier run left, then open the control
/// socket (so no prolog is served before adoption); closes the socket first on the way down.
/// </summary>
public sealed class DaemonService(
    DaemonOptions options,
    IRequiredActor<JobSupervisor> supervisor,
    IUnitBackend units,
    EnvFileStore envFiles,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _log = loggers.CreateLogger<DaemonService>();
    private ControlSocketServer? _server;

    public async Task StartAsync(CancellationToken ct)
    {
        var jobs = await supervisor.GetAsync(ct);
        var survey = await StartupAdoption.SurveyAsync(options.RunDir, units, envFiles, ct);
        if (survey.Running.Count + survey.Leftovers.Count > 0)
            _log.LogWarning("found {Running} running job(s) to adopt and {Leftovers} leftover(s) to clean up in {RunDir}",
                survey.Running.Count, survey.Leftovers.Count, options.RunDir);
        jobs.Tell(survey, Akka.Actor.ActorRefs.NoSender);

        var callers = new CallerPolicy(CallerIdentities.Resolve(options.AllowedCallers, _log));
        var handler = new RequestHandler(jobs, callers, options.OnFailure, options.Timeouts.ToLifecycle());
        _server = new ControlSocketServer(
            new ControlSocketOptions(options.SocketPath, TimeSpan.FromSeconds(options.RequestReadSeconds), Frames.DefaultMaxRequestBytes),
            handler, new ConnectionSlots(options.MaxConnections, options.MaxConnectionsPerUser, callers), loggers.CreateLogger<ControlSocketServer>());
        _server.Start();
        _log.LogInformation("datacrumbsd ready: backend {Backend}, run dir {RunDir}, on failure {OnFailure}", units.Name, options.RunDir, options.OnFailure);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
