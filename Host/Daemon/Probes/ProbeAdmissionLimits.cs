using Datacrumbs.Messages.Probes;

namespace Datacrumbs.Daemon.Probes;

/// <summary>The bounds <see cref="SignedProbeAdmission"/> applies (config section <c>probes</c>).</summary>
public sealed record ProbeAdmissionLimits
{
    /// <summary>Compressed size, decompressed size, clock skew.</summary>
    public ProbeFileLimits File { get; init; } = ProbeFileLimits.Default;
    /// <summary>PATH_MAX: a longer probe path is hostile.</summary>
    public int MaxPathLength { get; init; } = 4096;
    /// <summary>How long reading the file as the job's user may take (a FIFO or a hung NFS mount stops here).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Probe files of one user read and checked at once; that user's other jobs wait their turn.</summary>
    public int AdmissionsPerUser { get; init; } = 2;
    /// <summary>Documents decompressed and parsed at once, over all users: the bound on their total memory.</summary>
    public int ChecksAtOnce { get; init; } = 2;

    /// <summary>Accept files without summary.uid when their summary.user is the job's user (older upstream signers).</summary>
    public bool AcceptFilesWithoutUid { get; init; }

    public static ProbeAdmissionLimits Default { get; } = new();
}
