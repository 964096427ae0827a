using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// A stand-in `flux` executable in a private temp dir: answers `flux job info ID jobspec`
/// from jobspec.ID.json (else jobspec.json), records its arguments and FLUX_URI (the last
/// call's, and per job ID), and behaves as mode.ID (else mode) says: answer, fail (exit 1
/// with two stderr lines), hang (reports "PID CHILDPID" on the fifo `started`, then waits on
/// a child that holds stdout), flood (endless output). `flux job raise ...` is recorded, one
/// file per call, and exits with rc.raise (default 0). `flux getattr rank` prints the file
/// rank (default 0): the broker's rank the prolog hook asks before telling the user.
/// </summary>
public sealed class StandInFlux : IDisposable
{
    private const string Script = """
        #!/bin/bash
        dir="$(dirname "$0")"
        if [ "${1-}" = job ] && [ "${2-}" = raise ]; then
            printf '%s\n' "$@" >"$(mktemp "$dir/raise.XXXXXX")"
            exit "$(cat "$dir/rc.raise" 2>/dev/null || echo 0)"
        fi
        if [ "${1-}" = getattr ] && [ "${2-}" = rank ]; then
            cat "$dir/rank" 2>/dev/null || echo 0
            exit 0
        fi
        job="${3-}"
        # The daemon asks by decimal id; a hook asks by the id Flux gave it (f58), answered when given.
        case "$job" in *[!0-9]*|'') [ -n "$job" ] && [ -e "$dir/jobspec.$job.json" ] || job=other ;; esac
        printf '%s\n' "$@" >"$dir/args"
        printf '%s' "${FLUX_URI-<unset>}" >"$dir/uri"
        printf '%s' "${FLUX_URI-<unset>}" >"$dir/uri.$job"
        echo "$*" >>"$dir/calls.$job"
        spec="$dir/jobspec.json"
        [ -e "$dir/jobspec.$job.json" ] && spec="$dir/jobspec.$job.json"
        mode="$(cat "$dir/mode.$job" 2>/dev/null || cat "$dir/mode")"
        case "$mode" in
            answer) cat "$spec" ;;
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

    /// <summary>The FLUX_URI of the last `flux job info` for a job (decimal id).</summary>
    public string RecordedUriOf(ulong job) => File.ReadAllText(Path.Combine(Dir, $"uri.{job}"));

    /// <summary>Every `flux ...` call for a job (decimal id) other than raise, one line each.</summary>
    public string[] CallsOf(ulong job) =>
        File.Exists(Path.Combine(Dir, $"calls.{job}")) ? File.ReadAllLines(Path.Combine(Dir, $"calls.{job}")) : [];

    /// <summary>The `flux job info` calls for a job (decimal id); its memos (`flux job memo`) are other calls.</summary>
    public string[] JobspecReadsOf(ulong job) => CallsOf(job).Where(call => call.StartsWith("job info ", StringComparison.Ordinal)).ToArray();

    /// <summary>The arguments of every `flux job raise` so far.</summary>
    public IReadOnlyList<string[]> Raises =>
        Directory.EnumerateFiles(Dir, "raise.*").Select(File.ReadAllLines).ToList();

    /// <summary>Answers `flux job info` for this job (decimal id) from this jobspec text.</summary>
    public Task AnswersFor(ulong job, string jobspec) => File.WriteAllTextAsync(Path.Combine(Dir, $"jobspec.{job}.json"), jobspec);

    /// <summary>Answers `flux job info` for this job id as a hook passes it (the f58 form of FLUX_JOB_ID).</summary>
    public Task AnswersFor(string fluxJobId, string jobspec) => File.WriteAllTextAsync(Path.Combine(Dir, $"jobspec.{fluxJobId}.json"), jobspec);

    /// <summary>Behaves as <paramref name="mode"/> for this job (decimal id) only.</summary>
    public async Task BehavesFor(ulong job, string mode)
    {
        if (mode == "hang" && !File.Exists(StartedFifo)) (await Run.CommandAsync("mkfifo", StartedFifo)).EnsureSuccess("mkfifo");
        await File.WriteAllTextAsync(Path.Combine(Dir, $"mode.{job}"), mode);
    }

    /// <summary>Waits (bounded) until the hanging stand-in reports its pid and its child's.</summary>
    public async Task<(int Pid, int Child)> WaitStartedAsync()
    {
        var text = await Task.Run(() => File.ReadAllText(StartedFifo)).WaitAsync(TimeSpan.FromSeconds(30));
        var parts = text.Trim().Split(' ');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
