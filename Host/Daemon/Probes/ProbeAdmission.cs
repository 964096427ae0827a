using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Probes;

/// <summary>Chooses the probe admission from the configuration; a key file that is missing or too open stops the daemon at start.</summary>
public static class ProbeAdmission
{
    public static IProbeAdmission Create(DaemonOptions options)
    {
        var probes = options.Probes;
        if (!probes.RequireSignature) return new PlainProbeAdmission(options.RunDir, probes.MaxFileBytes);
        ProbeKeyRing keys;
        try
        {
            keys = ProbeKeyRing.LoadFile(probes.KeyFile, 0, UnixAccounts.EffectiveUid());
        }
        catch (Exception e) when (e is UnauthorizedAccessException or InvalidDataException or IOException)
        {
            throw new InvalidOperationException($"cannot load the probe signing keys: {e.Message} (set Probes:KeyFile, or Probes:RequireSignature=false where no signer exists)", e);
        }
        return new SignedProbeAdmission(options.RunDir, keys, new ProbeAdmissionLimits
        {
            File = new ProbeFileLimits
            {
                MaxFileBytes = probes.MaxFileBytes,
                MaxDecompressedBytes = probes.MaxDecompressedBytes,
                ClockSkew = TimeSpan.FromSeconds(probes.ClockSkewSeconds),
            },
            ReadTimeout = TimeSpan.FromSeconds(probes.ReadTimeoutSeconds),
        });
    }
}
