using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// A scratch directory for running the Flux hook scripts: a stand-in datacrumbsctl (exit code per
/// subcommand from rc.SUB, optional hang, every call recorded in `calls`) and a stand-in flux that
/// serves `jobspec` and records `flux job raise` in `raised`.
/// </summary>
public sealed class HookScratch : IDisposable
{
    /// <summary>The stand-in client; `asks-tracing` is the real client's (REAL_CTL), reading the stand-in flux's jobspec.</summary>
    public const string FakeCtl = """
        #!/bin/bash
        dir="$(dirname "$0")"
        echo "$*" >>"$dir/calls"
        [ "$1" = asks-tracing ] && exec "REAL_CTL" asks-tracing
        if [ "$1" = prolog ] && [ -e "$dir/hang" ]; then echo "$$" >"$dir/started"; exec sleep 1000; fi
        rc=$(cat "$dir/rc.$1" 2>/dev/null || echo 0)
        echo "datacrumbs: ${FLUX_JOB_ID}: outcome-$rc: from the fake $1"
        exit "$rc"
        """;

    /// <summary>The stand-in flux: `job info ID jobspec` prints the file `jobspec` (fails without it); any other call is recorded.</summary>
    public const string FakeFlux = """
        #!/bin/bash
        dir="$(dirname "$0")"
        if [ "$1 $2" = "job info" ]; then [ -e "$dir/jobspec" ] && exec cat "$dir/jobspec"; exit 1; fi
        printf '%s\n' "$@" >"$dir/raised"
        exit "$(cat "$dir/rc.flux" 2>/dev/null || echo 0)"
        """;

    public string Dir { get; } = Directory.CreateTempSubdirectory("dc-hooks-").FullName;

    public HookScratch()
    {
        WriteExecutable("datacrumbsctl", FakeCtl.Replace("REAL_CTL", DaemonProcess.Ctl));
        WriteExecutable("flux", FakeFlux);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public void WriteExecutable(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, text.Replace("\r", "") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>What `flux job info ID jobspec` prints: a jobspec that asks for tracing, or not.</summary>
    public void Jobspec(string? enable)
    {
        var datacrumbs = enable is null ? "" : ",\"datacrumbs\":{\"enable\":\"" + enable + "\",\"probe_file\":\"/p/probes.json.gz\"}";
        File.WriteAllText(Path.Combine(Dir, "jobspec"),
            "{\"version\":1,\"attributes\":{\"system\":{\"cwd\":\"/home/u\",\"environment\":{\"DATACRUMBS_X\":\"1\"}" + datacrumbs + "}}}");
    }

    public void ClientExits(string subcommand, int code) => File.WriteAllText(Path.Combine(Dir, "rc." + subcommand), code.ToString());

    public string[] Calls => File.Exists(Path.Combine(Dir, "calls")) ? File.ReadAllLines(Path.Combine(Dir, "calls")) : [];
    public string[]? Raised => File.Exists(Path.Combine(Dir, "raised")) ? File.ReadAllLines(Path.Combine(Dir, "raised")) : null;

    public Dictionary<string, string?> Env(string? onFailure = null) => new()
    {
        ["DATACRUMBSCTL"] = Path.Combine(Dir, "datacrumbsctl"),
        ["DATACRUMBS_FLUX"] = Path.Combine(Dir, "flux"),
        ["DATACRUMBS_ON_FAILURE"] = onFailure,
        ["FLUX_JOB_ID"] = "ƒNH",
        ["TMPDIR"] = Dir,
    };
}
