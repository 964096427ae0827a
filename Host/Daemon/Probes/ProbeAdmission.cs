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
        var limits = new ProbeAdmissionLimits
        {
            File = new ProbeFileLimits
            {
                MaxFileBytes = probes.MaxFileBytes,
                MaxDecompressedBytes = probes.MaxDecompressedBytes,
                MaxJsonValues = probes.MaxJsonValues,
                ClockSkew = TimeSpan.FromSeconds(probes.ClockSkewSeconds),
            },
            ReadTimeout = TimeSpan.FromSeconds(probes.ReadTimeoutSeconds),
            AcceptFilesWithoutUid = probes.AcceptFilesWithoutUid,
            AdmissionsPerUser = probes.AdmissionsPerUser,
            ChecksAtOnce = probes.ChecksAtOnce,
        };
        var gate = new AdmissionGate(limits.AdmissionsPerUser, limits.ChecksAtOnce);
        if (!probes.RequireSignature)
        {
            Serilog.Log.Warning("probe signatures are OFF (Probes:RequireSignature=false): the tracer runs, as root, any probes a job's user names in a file that user can read. Use this only where no signer exists yet; see docs/probes.rst");
            return new PlainProbeAdmission(options.RunDir, limits, gate);
        }
        ProbeSecret secret;
        try
        {
            secret = ProbeSecret.LoadFile(probes.SecretFile, 0, UnixAccounts.EffectiveUid());
        }
        catch (Exception e) when (e is UnauthorizedAccessException or InvalidDataException or IOException)
        {
            throw new InvalidOperationException($"cannot load the probe secret: {e.Message} (set Probes:SecretFile to where the DataCrumbs runtime reads it, or Probes:RequireSignature=false where no signer exists)", e);
        }
        return new SignedProbeAdmission(options.RunDir, secret, limits, gate: gate);
    }
}
