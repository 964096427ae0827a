using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Probes;

/// <summary>Chooses the probe admission from the configuration; a secret file that is missing, malformed or too open stops the daemon at start.</summary>
public static class ProbeAdmission
{
    public static IProbeAdmission Create(DaemonOptions options)
    {
        var probes = options.Probes;
        if (!probes.RequireSignature) return new PlainProbeAdmission(options.RunDir, probes.MaxFileBytes);
        ProbeSecret secret;
        try
        {
            secret = ProbeSecret.LoadFile(probes.SecretFile, 0, UnixAccounts.EffectiveUid());
        }
        catch (Exception e) when (e is UnauthorizedAccessException or InvalidDataException or IOException)
        {
            throw new InvalidOperationException($"cannot load the probe secret: {e.Message} (set Probes:SecretFile to where the DataCrumbs runtime reads it, or Probes:RequireSignature=false where no signer exists)", e);
        }
        return new SignedProbeAdmission(options.RunDir, secret, new ProbeAdmissionLimits
        {
            File = new ProbeFileLimits
            {
                MaxFileBytes = probes.MaxFileBytes,
                MaxDecompressedBytes = probes.MaxDecompressedBytes,
                ClockSkew = TimeSpan.FromSeconds(probes.ClockSkewSeconds),
            },
            ReadTimeout = TimeSpan.FromSeconds(probes.ReadTimeoutSeconds),
            AcceptFilesWithoutUid = probes.AcceptFilesWithoutUid,
        });
    }
}
