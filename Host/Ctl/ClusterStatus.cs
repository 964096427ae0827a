using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Ctl;

/// <summary>
/// `datacrumbsctl cluster-status`: every node's `datacrumbsctl status --json`, gathered with
/// `flux exec -r all` (so: as the Flux instance owner), in one table: node, rank, job, user, state,
/// error. A rank whose daemon did not answer is a row too, with what its client said.
/// </summary>
internal static class ClusterStatus
{
    /// <summary>One line of the table (or of --json).</summary>
    public sealed record Row(string Node, int Rank, string Job, string User, string State, string Error);

    public static Command Create(Option<string?> socket, Option<double?> timeout)
    {
        var json = new Option<bool>("--json") { Description = "Print the rows as a JSON array, for scripts." };
        var flux = new Option<string>("--flux") { Description = "The flux command (default: flux on PATH).", DefaultValueFactory = _ => "flux" };
        var ctl = new Option<string?>("--ctl") { Description = "datacrumbsctl's path on the nodes (default: this one's)." };
        var command = new Command("cluster-status", """
            The jobs of every node of the Flux instance in one table: runs `datacrumbsctl status --json`
            on all ranks with `flux exec -r all` (as the instance owner, who sees every job) and merges
            what they print. A rank whose daemon does not answer shows as 'unreachable' with the reason.
            Exit 0 when every rank answered, 3 when some did not.
            """);
        command.Options.Add(json);
        command.Options.Add(flux);
        command.Options.Add(ctl);
        command.SetAction(async (parse, ct) =>
        {
            var perRank = TimeSpan.FromSeconds(parse.GetValue(timeout) is > 0 and var s ? s : 15);
            var fluxCommand = parse.GetValue(flux)!;
            var remote = new List<string> { parse.GetValue(ctl) ?? Environment.ProcessPath ?? "datacrumbsctl", "status", "--json",
                "--timeout", perRank.TotalSeconds.ToString(CultureInfo.InvariantCulture) };
            if (parse.GetValue(socket) is { Length: > 0 } path) remote.AddRange(["--socket", path]);
            // The ranks answer at once; the bound is for a broker or node that hangs.
            var deadline = perRank + TimeSpan.FromSeconds(30);
            try
            {
                var hosts = await RunAsync(fluxCommand, ["hostlist", "--expand", "--delimiter=\n", "instance"], deadline, ct);
                if (hosts.Exit != 0) return Fail($"flux hostlist failed (exit {hosts.Exit}): {FirstLine(hosts.Stderr)}");
                var exec = await RunAsync(fluxCommand, ["exec", "-r", "all", "--label-io", "--noinput", "--", .. remote], deadline, ct);
                var rows = Rows(hosts.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), exec.Stdout, exec.Stderr, out var unanswered);
                if (rows.Count == 0 && exec.Exit != 0) return Fail($"flux exec failed (exit {exec.Exit}): {FirstLine(exec.Stderr)}");
                if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows, ClusterJson.Default.ListRow));
                else Print(rows);
                return unanswered == 0 ? ExitCodes.Ok : ExitCodes.DaemonUnreachable;
            }
            catch (TimeoutException e) { return Fail(e.Message); }
            catch (InvalidOperationException e) { return Fail(e.Message); }
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"datacrumbsctl cluster-status: {message}");
        return ExitCodes.DaemonUnreachable;
    }

    /// <summary>
    /// `flux exec --label-io` prints "RANK: line" on stdout and stderr. A rank's stdout is the JSON
    /// array of its jobs; a rank with no JSON (its client failed) is one 'unreachable' row with its stderr.
    /// </summary>
    public static List<Row> Rows(IReadOnlyList<string> hosts, string stdout, string stderr, out int unanswered)
    {
        var answers = Labelled(stdout);
        var errors = Labelled(stderr);
        var rows = new List<Row>();
        unanswered = 0;
        foreach (var rank in answers.Keys.Union(errors.Keys).Order())
        {
            var node = rank < hosts.Count ? hosts[rank] : "?";
            var error = string.Join("; ", errors.GetValueOrDefault(rank) ?? []);
            IReadOnlyList<JobStatus>? jobs = null;
            try
            {
                if (answers.GetValueOrDefault(rank) is { Count: > 0 } lines)
                    jobs = JsonSerializer.Deserialize(string.Join('\n', lines), WireJson.Default.IReadOnlyListJobStatus);
            }
            catch (JsonException e) { error = $"unreadable status ({e.Message}) {error}".Trim(); }
            if (jobs is null)
            {
                unanswered++;
                rows.Add(new Row(node, rank, "-", "-", "unreachable", error.Length > 0 ? error : "no answer"));
            }
            else if (jobs.Count == 0) rows.Add(new Row(node, rank, "-", "-", "no jobs", error));
            else rows.AddRange(jobs.OrderBy(j => j.Job, StringComparer.Ordinal)
                .Select(j => new Row(node, rank, j.Job, j.User, j.State.ToString(), j.LastError ?? "")));
        }
        return rows;
    }

    private static Dictionary<int, List<string>> Labelled(string output)
    {
        var byRank = new Dictionary<int, List<string>>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0 || !int.TryParse(line.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var rank)) continue;
            if (!byRank.TryGetValue(rank, out var lines)) byRank[rank] = lines = [];
            lines.Add(line[(colon + 2)..]);
        }
        return byRank;
    }

    private static void Print(List<Row> rows)
    {
        if (rows.Count == 0) { Console.WriteLine("no ranks answered"); return; }
        var node = Math.Max(4, rows.Max(r => r.Node.Length));
        Console.WriteLine($"{"NODE".PadRight(node)} {"RANK",4} {"JOB",-14} {"USER",-12} {"STATE",-14} ERROR");
        foreach (var r in rows)
            Console.WriteLine($"{r.Node.PadRight(node)} {r.Rank,4} {r.Job,-14} {Shorten(r.User, 12),-12} {r.State,-14} {r.Error}");
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "~";
    private static string FirstLine(string s) => s.Split('\n', 2)[0];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, string[] args, TimeSpan deadline, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"cannot run '{file}': {e.Message}", e); }
        process.StandardInput.Close();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(deadline);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = await process.StandardError.ReadToEndAsync(cts.Token);
            var output = await stdout;
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, output, stderr);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"'{file} {string.Join(' ', args.Take(2))}' did not finish within {deadline.TotalSeconds} s; killed");
        }
    }
}

[JsonSerializable(typeof(List<ClusterStatus.Row>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ClusterJson : JsonSerializerContext;
