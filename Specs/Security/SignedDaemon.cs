using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Security;

/// <summary>A real datacrumbsd that requires signed probe files (the product's default), with the spec secret.</summary>
public static class SignedDaemon
{
    public static Task<DaemonProcess> StartAsync(Dictionary<string, object>? probes = null, Dictionary<string, object>? settings = null)
    {
        var workDir = Directory.CreateTempSubdirectory("datacrumbs-security-").FullName;
        var probeSettings = new Dictionary<string, object>
        {
            ["RequireSignature"] = true,
            ["SecretFile"] = Path.Combine(workDir, "probe-secret"),
            ["ReadTimeoutSeconds"] = 50,
        };
        foreach (var (key, value) in probes ?? []) probeSettings[key] = value;
        var all = new Dictionary<string, object>(settings ?? []) { ["Probes"] = probeSettings };
        return DaemonProcess.StartAsync(workDir, all);
    }
}
