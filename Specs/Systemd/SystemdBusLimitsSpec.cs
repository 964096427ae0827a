using Datacrumbs.Daemon.Systemd;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Systemd;

/// <summary>
/// The system bus refuses a connection more than 128 calls awaiting replies
/// (max_replies_per_connection): the backend's one connection must never have that many
/// out, however many epilogs arrive at once.
/// </summary>
public sealed class SystemdBusLimitsSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_hundred_stops_asked_while_systemd_cannot_answer_all_succeed_once_it_answers()
    {
        var units = new TracerUnits(sandbox);
        await units.InstallAsync();
        await using var backend = new SystemdUnitBackend(sandbox.BusAddress);
        await backend.ListAsync(new CancellationTokenSource(Patience).Token); // connected
        var jobs = Enumerable.Range(0, 200).Select(_ => TracerUnits.NewJob()).ToArray();

        // systemd (the sandbox's PID 1, stopped from outside its namespace) answers nothing until SIGCONT.
        (await Run.CommandAsync("kill", "-STOP", sandbox.Pid)).EnsureSuccess("kill -STOP systemd");
        using var deadline = new CancellationTokenSource(Patience);
        Task[] stops;
        try
        {
            stops = jobs.Select(j => backend.StopAsync(j, deadline.Token)).ToArray();
        }
        finally
        {
            (await Run.CommandAsync("kill", "-CONT", sandbox.Pid)).EnsureSuccess("kill -CONT systemd");
        }

        await Task.WhenAll(stops).WaitAsync(Patience);
        Assert.Empty(await units.LingeringUnitsAsync());
    }
}
