using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// A stand-in `flux` executable in a private temp dir: answers `flux job info ID jobspec`
/// from jobspec.json, records its arguments and FLUX_URI, and behaves as MODE says:
/// answer, fail (exit 1 with two stderr lines), hang (reports "PID CHILDPID" on the fifo
/// `started`, then waits on a child that holds stdout), flood (endless output).
/// </summary>
public sealed class StandInFlux : IDisposable
{
    private const string Script = """
        #!/bin/bash
        dir="$(dirname "$0")"
        printf '%s\n' "$@" >"$dir/args"
        printf '%s' "${FLUX_URI-<unset>}" >"$dir/uri"
        case "$(cat "$dir/mode")" in
            answer) cat "$dir/jobspec.json" ;;
            fail) echo "flux-job: 1234: job not found" >&2; echo "second line" >&2; exit 1 ;;
            hang) sleep 1000 & echo "$$ $!" >"$dir/started"; wait ;;
            flood) while :; do echo '{"attributes":{"system":{}}}'; done ;;
        esac
        """;

    public string Dir { get; } = Directory.CreateTempSubdirectory("dc-flux-").FullName;
    public string Command => Path.Combine(Dir, "flux");
    public string StartedFifo => Path.Combine(Dir, "started");

    private StandInFlux() { }

    public static async Task<StandInFlux> CreateAsync(string mode, string? jobspec = null)
    {
        var flux = new StandInFlux();
        await File.WriteAllTextAsync(flux.Command, Script.Replace("\r", "") + "\n");
        File.SetUnixFileMode(flux.Command, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(flux.Dir, "mode"), mode);
        if (jobspec is not null) await File.WriteAllTextAsync(Path.Combine(flux.Dir, "jobspec.json"), jobspec);
        if (mode == "hang") (await Run.CommandAsync("mkfifo", flux.StartedFifo)).EnsureSuccess("mkfifo");
        return flux;
    }

    public string[] RecordedArgs => File.ReadAllLines(Path.Combine(Dir, "args"));
    public string RecordedUri => File.ReadAllText(Path.Combine(Dir, "uri"));

    /// <summary>Waits (bounded) until the hanging stand-in reports its pid and its child's.</summary>
    public async Task<(int Pid, int Child)> WaitStartedAsync()
    {
        var text = await Task.Run(() => File.ReadAllText(StartedFifo)).WaitAsync(TimeSpan.FromSeconds(30));
        var parts = text.Trim().Split(' ');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
