using System.Text.Json;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Traces;

namespace Datacrumbs.Specs.Flux;

/// <summary>
/// The memo value and the trace path with hostile input: a host or user name with quotes,
/// backslashes, newlines, braces, '=' or non-ASCII stays one JSON object with one member, whose
/// text is exactly what was meant (Flux parses the value as JSON; a dot in the key would nest,
/// so the host is never put in the key).
/// </summary>
public sealed class JobMemoValueSpecs
{
    public static TheoryData<string, string> Hostile => new()
    {
        { "node1.cluster.example", "untraced: probe file \"/home/a b/p.json\": issued to uid 7 (in Resolving)" },
        { "n\"ode\\1", "line one\nline two\ttab" },
        { "ünïcødé-{}=", "=- {\"datacrumbs\":null} \u2028 \u0001" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void The_memo_value_is_one_json_member_holding_exactly_the_host_and_the_line(string host, string line)
    {
        var value = FluxJobNotices.MemoValue(host, line);

        Assert.DoesNotContain('\n', value); // one argument, one line in the eventlog
        using var parsed = JsonDocument.Parse(value);
        var member = Assert.Single(parsed.RootElement.EnumerateObject());
        Assert.Equal((host, line), (member.Name, member.Value.GetString()));
    }

    [Fact]
    public void The_trace_path_follows_the_runtimes_rule()
    {
        var started = new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeZoneInfo.Local.GetUtcOffset(new DateTime(2026, 3, 4, 12, 0, 0)));
        var trace = new TraceOrigin("dc'alice", "fELtY71", "/run/datacrumbs/datacrumbs-fELtY71.probes.json.gz", started);

        Assert.Equal("/scratch/26/03/04/trace-dc'alice-fELtY71-node 1-datacrumbs-fELtY71.probes.json.pfw.gz",
            TraceFileLocation.PathOf("/scratch/%YY%/%MM%/%DD%", "node 1", trace));
        Assert.Equal(".hidden", TraceFileLocation.Stem("/x/.hidden"));
        Assert.Equal("probes", TraceFileLocation.Stem("/x/probes"));
        Assert.Equal("a.b", TraceFileLocation.Stem("a.b.c"));
    }
}
