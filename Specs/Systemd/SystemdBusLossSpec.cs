using Datacrumbs.Daemon.Systemd;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Systemd;

/// <summary>
/// The system bus goes away under the backend (dbus restarted in the sandbox, its own one):
/// a stop in flight asks again once the bus is back and completes, running units stay followed,
/// and the backend reconnects and carries on.
/// </summary>
public sealed class SystemdBusLossSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static CancellationToken Deadline() => new CancellationTokenSource(Patience).Token;

    [Fact]
    public async Task A_restarted_bus_does_not_lose_the_stop_in_flight_keeps_following_running_units_and_reconnects()
    {
        var units = new TracerUnits(sandbox);
        await units.InstallAsync();
        await using var backend = new SystemdUnitBackend(sandbox.BusAddress);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.BusConnectionChanged += up => { if (!up) lost.TrySetResult(); else if (lost.Task.IsCompleted) back.TrySetResult(); };

        var running = TracerUnits.NewJob();
        await units.PrepareAsync(running);
        var runningUnit = await backend.StartAsync(running, Deadline());

        var stubborn = TracerUnits.NewJob();
        await units.AddInstanceDropInAsync(stubborn, "TimeoutStopSec=8s");
        await units.PrepareAsync(stubborn, "STANDIN_MODE=ignore-term");
        await backend.StartAsync(stubborn, Deadline());
        await FileEvents.WaitAsync(units.ReadyFileOnHost(stubborn), exists: true, Patience);
        var stopInFlight = backend.StopAsync(stubborn, Deadline()); // systemd needs 8 s for this one

        (await sandbox.ExecAsync("systemctl", "restart", "dbus.service")).EnsureSuccess("systemctl restart dbus");
        await lost.Task.WaitAsync(Patience);

        // The stop in flight is not given up: it asks again on the new connection and ends with the unit.
        await back.Task.WaitAsync(Patience);
        await stopInFlight.WaitAsync(Patience);
        Assert.Equal("inactive", await units.ShowAsync(stubborn, "ActiveState"));

        Assert.True(backend.IsBusConnected);
        Assert.False(runningUnit.Exited.IsCompleted, "a unit that still runs is still followed");

        await backend.StopAsync(running, Deadline());
        Assert.Contains(runningUnit.Name, (await runningUnit.Exited.WaitAsync(Patience)).Reason);
        Assert.Empty(await backend.ListAsync(Deadline()));
    }

    [Fact]
    public async Task A_stop_that_outlasts_its_wait_for_the_bus_is_owed_and_done_once_the_bus_is_back()
    {
        var units = new TracerUnits(sandbox);
        await units.InstallAsync();
        await using var backend = new SystemdUnitBackend(new SystemdBackendOptions { BusAddress = sandbox.BusAddress, StopWaitsForBus = TimeSpan.FromSeconds(1) });
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.BusConnectionChanged += up => { if (!up) lost.TrySetResult(); };
        var job = TracerUnits.NewJob();
        await units.PrepareAsync(job);
        var unit = await backend.StartAsync(job, Deadline());

        try
        {
            (await sandbox.ExecAsync(Patience, "systemctl", "stop", "dbus.socket", "dbus.service")).EnsureSuccess("systemctl stop dbus");
            await lost.Task.WaitAsync(Patience);

            var error = await Assert.ThrowsAsync<SystemdBusException>(() => backend.StopAsync(job, Deadline()));
            Assert.Contains("it will be stopped once the bus is back", error.Message);
            Assert.Equal("active", await units.ShowAsync(job, "ActiveState")); // systemctl uses systemd's private socket, not the bus
        }
        finally
        {
            (await sandbox.ExecAsync(Patience, "systemctl", "start", "dbus.socket", "dbus.service")).EnsureSuccess("systemctl start dbus");
        }

        // Nobody asks again: the backend stops the unit by itself once it is connected again.
        Assert.Contains(unit.Name, (await unit.Exited.WaitAsync(Patience)).Reason);
        Assert.Equal("inactive", await units.ShowAsync(job, "ActiveState"));
    }
}
