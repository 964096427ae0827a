namespace Datacrumbs.Specs.Harness;

public sealed class SandboxSmokeSpec(SystemdSandbox sandbox) : IClassFixture<SystemdSandbox>
{
    [Fact]
    public async Task Systemd_in_the_sandbox_is_running_and_its_run_dir_is_shared_with_the_host()
    {
        var state = await sandbox.ExecAsync("systemctl", "is-system-running");
        Assert.Contains(state.Stdout.Trim(), new[] { "running", "degraded" });
        Assert.True(File.Exists(sandbox.JournalSocket) || Directory.Exists(Path.GetDirectoryName(sandbox.JournalSocket)));
        await File.WriteAllTextAsync(sandbox.HostPath("/run/smoke"), "x");
        var seen = await sandbox.ExecAsync("cat", "/run/smoke");
        Assert.Equal("x", seen.Stdout);
    }
}
