using Datacrumbs.Benchmarks.Common;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Benchmarks.Load;

/// <summary>
/// What a compute node provides around the daemon, in a work dir: a stand-in `flux` that answers
/// `flux job info ID jobspec` with a jobspec asking for tracing (a tiny sh script, so that the
/// metadata step costs one small process start, as `flux job info` does), the site secret and the
/// user's signed probe file (<see cref="SignedProbes"/>), and the stand-in tracer's per-job control dir.
/// </summary>
public sealed class Node
{
    public string Dir { get; }
    public string RunDir => Path.Combine(Dir, "run");
    public string ControlDir => Path.Combine(Dir, "standin");
    public string Flux => Path.Combine(Dir, "flux");
    public string ProbeFile => Path.Combine(Dir, "probes.json.gz");
    public string SecretFile => Path.Combine(Dir, "probe-secret");
    /// <summary>The stand-in's cache of verified documents: one full check of the one document, then only its expiry (thousands of tracers start on it).</summary>
    public string VerifiedCache => Path.Combine(Dir, "standin-verified");
    public uint Uid { get; }
    private ulong _next = (ulong)Random.Shared.NextInt64(1L << 20, 1L << 40);

    /// <summary>A node in a fresh dir on tmpfs (/dev/shm), as /run is on a node: fsync costs nothing there.</summary>
    public static Node Create() =>
        new(Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"datacrumbs-bench-{Guid.NewGuid():N}"[..30])).FullName
            : Directory.CreateTempSubdirectory("datacrumbs-bench-").FullName);

    public Node(string dir, string user = "dcalice")
    {
        Dir = dir;
        Directory.CreateDirectory(ControlDir);
        Uid = Messages.Unix.UnixAccounts.LookupUid(user) ?? throw new InvalidOperationException($"no user {user} on this machine (.ci/run creates it)");
        SignedProbes.Write(SecretFile, ProbeFile, Uid, user);
        File.WriteAllText(Path.Combine(Dir, "jobspec.json"),
            "{\"attributes\":{\"system\":{\"datacrumbs\":{\"enable\":\"yes\",\"probe_file\":\"" + ProbeFile + "\"}}}}");
        File.WriteAllText(Flux, $"#!/bin/sh\nexec cat {Path.Combine(Dir, "jobspec.json")}\n");
        File.SetUnixFileMode(Flux, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public JobId NewJob() => new(Interlocked.Increment(ref _next));

    /// <summary>How the stand-in tracer of one job behaves (its control file, read at its start).</summary>
    public void TracerDelay(JobId job, int ms) =>
        File.WriteAllText(Path.Combine(ControlDir, job.ToString()), $"STANDIN_MODE=ready STANDIN_DELAY_MS={ms}\n");

    /// <summary>The environment of a Flux prolog or epilog hook for one job.</summary>
    public Dictionary<string, string?> HookEnvironment(JobId job, string socket, string ctl) => new()
    {
        ["FLUX_JOB_ID"] = job.ToString(),
        ["FLUX_JOB_USERID"] = Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FLUX_URI"] = null,
        ["DATACRUMBSCTL"] = ctl,
        ["DATACRUMBS_SOCKET"] = socket,
        ["DATACRUMBS_FLUX"] = "/bin/true", // the hook raises job exceptions with it; none are expected
    };

    /// <summary>The environment of the reference shell flow for one job.</summary>
    public Dictionary<string, string?> ReferenceEnvironment(JobId job, string runDir) => new()
    {
        ["FLUX_JOB_ID"] = job.ToString(),
        ["FLUX_JOB_USERID"] = Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DATACRUMBS_FLUX"] = Flux,
        ["DATACRUMBS_RUN_DIR"] = runDir,
        ["DATACRUMBS_TRACER"] = Paths.StandInTracer,
        ["STANDIN_CONTROL_DIR"] = ControlDir,
        ["STANDIN_SECRET_FILE"] = SecretFile,
        ["STANDIN_RUN_DIR"] = runDir,
        ["STANDIN_VERIFIED_CACHE"] = VerifiedCache,
    };
}
