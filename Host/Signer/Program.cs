using System.Runtime.InteropServices;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Text;
using Datacrumbs.Signer;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// datacrumbs_sign_probes [--config PATH]: the login node's probe signer (see docs/probes.rst).
var configPath = SignerConfig.DefaultPath;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--config" when i + 1 < args.Length: configPath = args[++i]; break;
        case "-h" or "--help":
            Console.WriteLine("usage: datacrumbs_sign_probes [--config PATH]   (default " + SignerConfig.DefaultPath + ")");
            return 0;
        default:
            Console.Error.WriteLine($"datacrumbs_sign_probes: unknown argument '{UntrustedText.Printable(args[i])}' (usage: datacrumbs_sign_probes [--config PATH])");
            return 2;
    }
}

SignerServer server;
try
{
    var config = SignerConfig.Load(configPath);
    var keys = ProbeSecret.LoadFile(config.SecretFile);
    server = new SignerServer(config, keys, TimeProvider.System, Console.Out);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine($"datacrumbs_sign_probes: cannot start: {e.Message}");
    return 1;
}

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
try
{
    await server.RunAsync(stop.Token);
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidDataException)
{
    // A socket that cannot be bound (the TCP port taken) or libmunge missing for tcp_listen.
    Console.Error.WriteLine($"datacrumbs_sign_probes: cannot start: {e.Message}");
    return 1;
}
Console.WriteLine("stopped");
return 0;
