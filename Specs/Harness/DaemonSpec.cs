namespace Datacrumbs.Specs.Harness;

/// <summary>A spec class with one real datacrumbsd of its own (see <see cref="DaemonProcess"/>), removed with its files after the class.</summary>
public abstract class DaemonSpec(Dictionary<string, object>? settings = null) : IAsyncLifetime
{
    protected DaemonProcess Daemon { get; private set; } = null!;

    public async Task InitializeAsync() => Daemon = await DaemonProcess.StartAsync(settings: settings);

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        Daemon.DeleteWorkDir();
    }
}
