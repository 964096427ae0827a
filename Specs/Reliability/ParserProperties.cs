using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Files;
using Datacrumbs.Daemon.Flux;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Probes;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Wire;

namespace Datacrumbs.Specs.Reliability;

/// <summary>
/// Property-based fuzzing of every parser that sees hostile bytes: the control socket's frames and
/// requests, the env file format, jobspec tracing, probe paths. Each fails only with its own
/// exception type (never a crash of another kind) and bounds what it allocates.
/// (Job ids: Specs/JobIds/JobIdCodecProperties; canonical JSON: Specs/Probes/CanonicalJsonSpec.)
/// </summary>
public sealed class ParserProperties
{
    private const long Iterations = 5_000;

    /// <summary>JSON-ish text built from the words the parsers look for, so the fuzzing reaches deep paths.</summary>
    private static readonly Gen<string> JsonFragment = Gen.OneOf(
        Gen.Const("{"), Gen.Const("}"), Gen.Const("["), Gen.Const("]"), Gen.Const(","), Gen.Const(":"),
        Gen.Const("\"op\""), Gen.Const("\"job\""), Gen.Const("\"uid\""), Gen.Const("\"flux_uri\""), Gen.Const("\"metadata\""),
        Gen.Const("\"enable\""), Gen.Const("\"probe_file\""), Gen.Const("\"attributes\""), Gen.Const("\"system\""), Gen.Const("\"datacrumbs\""),
        Gen.Const("\"Prolog\""), Gen.Const("\"Epilog\""), Gen.Const("\"Status\""), Gen.Const("\"yes\""), Gen.Const("\"/abs/p\""),
        Gen.Const("\"\\ud800\""), Gen.Const("\"\\u0000\""), Gen.Const("null"), Gen.Const("true"), Gen.Const("-1"), Gen.Const("4294967296"),
        Gen.Const("1e400"), Gen.Const("0"), Gen.Const("7"), Gen.Const(" "),
        Gen.String[0, 8]);

    private static readonly Gen<string> JsonLike = JsonFragment.Array[0, 40].Select(parts => string.Concat(parts));

    private static readonly Gen<byte[]> JsonLikeBytes = Gen.OneOf(
        JsonLike.Select(Encoding.UTF8.GetBytes),
        Gen.Byte.Array[0, 64]);

    /// <summary>A plausible request wrapped in a jobspec-like shape: {"attributes":{"system":{"datacrumbs":...}}}.</summary>
    private static readonly Gen<string> JobspecLike = Gen.OneOf(
        JsonLike,
        JsonLike.Select(inner => "{\"attributes\":{\"system\":{\"datacrumbs\":" + inner + "}}}"),
        Gen.Select(Gen.OneOf(Gen.Const("\"yes\""), JsonFragment), Gen.OneOf(Gen.String[0, 20].Select(s => System.Text.Json.JsonSerializer.Serialize(s)), JsonFragment))
            .Select((enable, probe) => "{\"attributes\":{\"system\":{\"datacrumbs\":{\"enable\":" + enable + ",\"probe_file\":" + probe + "}}}}"));

    [Fact]
    public void Frames_read_from_any_byte_stream_fail_only_as_protocol_errors_and_allocate_within_the_limit()
    {
        const int Limit = Frames.DefaultMaxRequestBytes;
        var header = Gen.OneOf(Gen.Int, Gen.Int[-4, 200], Gen.Const(int.MaxValue), Gen.Const(Limit), Gen.Const(Limit + 1))
            .Select(length => { var h = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(h, length); return h; });
        var stream = Gen.OneOf(
            Gen.Byte.Array[0, 300],
            Gen.Select(header, Gen.Byte.Array[0, 300]).Select((h, body) => h.Concat(body).ToArray()),
            Gen.Select(header, JsonLikeBytes).Select((h, body) => h.Concat(body).ToArray()),
            JsonLikeBytes.Select(body => RawClient.Frame(body)));
        ReadFrame(RawClient.Frame("""{"op":"Status"}""")); // the serializer's first-use caches are not the parser's allocations

        stream.Sample(bytes =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            ReadFrame(bytes);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 4 * Limit, $"{allocated} bytes allocated for a {bytes.Length}-byte stream");
        }, iter: Iterations, threads: 1);

        static void ReadFrame(byte[] bytes)
        {
            try
            {
                // A MemoryStream completes synchronously: the whole read runs on this thread.
                _ = Frames.ReadAsync(new MemoryStream(bytes), WireJson.Default.ControlRequest, Limit, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (ProtocolException) { }
        }
    }

    [Fact]
    public void Any_request_body_decodes_or_fails_as_a_protocol_error()
    {
        JsonLikeBytes.Sample(bytes =>
        {
            try { _ = Frames.Decode(bytes, WireJson.Default.ControlRequest); }
            catch (ProtocolException) { }
        }, iter: Iterations, threads: 1);
    }

    private static readonly Gen<string> EnvKey = Gen.Select(Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ_"], Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"].Array[0, 20])
        .Select((first, rest) => first + new string(rest));

    /// <summary>Anything a root service may safely be given: printable, with quotes, backslashes, spaces and non-ASCII.</summary>
    private static readonly Gen<string> SafeValue = Gen.OneOf(Gen.Char["\"\\ '#=;%{}/:.aZ09"], Gen.Char['\u00a0', '\ud7ff'])
        .Array[0, 60].Select(c => new string(c));

    [Fact]
    public void Env_files_round_trip_every_safe_environment()
    {
        Gen.Select(EnvKey, SafeValue).Array[0, 8].Sample(pairs =>
        {
            var environment = new TracerEnvironment(pairs.Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)).ToList());
            var parsed = EnvFileFormat.Parse(EnvFileFormat.Render(environment));
            Assert.Equal(environment.Variables, parsed.Variables);
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Env_file_rendering_refuses_every_value_that_could_change_a_root_services_environment()
    {
        var hostile = Gen.Select(SafeValue, Gen.OneOf(Gen.Char['\0', '\u001f'], Gen.Const('\u007f'), Gen.Const('$'), Gen.Const('`'), Gen.Const('\u0085')), SafeValue)
            .Select((before, bad, after) => before + bad + after);
        Gen.Select(EnvKey, hostile).Sample((key, value) =>
        {
            var environment = new TracerEnvironment([new(key, value)]);
            var refused = Assert.Throws<ArgumentException>(() => EnvFileFormat.Render(environment));
            Assert.Contains(key, refused.Message);
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Env_file_parsing_of_any_text_fails_only_with_a_format_or_argument_error()
    {
        var text = Gen.OneOf(
            Gen.String[0, 80],
            Gen.OneOf(EnvKey, Gen.Const("#"), Gen.Const("="), Gen.Const("\""), Gen.Const("\\"), Gen.Const("\n"), Gen.Const("$"), SafeValue)
                .Array[0, 20].Select(parts => string.Concat(parts)));
        text.Sample(t =>
        {
            try { _ = EnvFileFormat.Parse(t); }
            catch (Exception e) when (e is FormatException or ArgumentException) { }
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Jobspec_tracing_of_any_text_fails_only_as_a_metadata_error_and_admits_only_usable_paths()
    {
        var job = new JobId(1234);
        JobspecLike.Sample(jobspec =>
        {
            try
            {
                if (JobspecTracing.Read(job, Encoding.UTF8.GetBytes(jobspec)) is { } tracing)
                {
                    Assert.True(tracing.IsEnabled);
                    Assert.Null(ProbeFilePath.Problem(tracing.ProbeFile));
                }
            }
            catch (JobMetadataException e)
            {
                Assert.StartsWith($"job {job}: ", e.Message);
                Assert.DoesNotContain(e.Message, c => char.IsControl(c));
            }
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void Probe_path_checks_never_throw_and_every_accepted_path_is_absolute_and_printable()
    {
        Gen.OneOf(Gen.String[0, 40], Gen.String[0, 40].Select(s => "/" + s), Gen.Char.Array[0, 40].Select(c => "/" + new string(c))).Sample(path =>
        {
            if (ProbeFilePath.Problem(path) is null)
            {
                Assert.StartsWith("/", path);
                Assert.DoesNotContain(path, c => char.IsControl(c));
            }
        }, iter: Iterations, threads: 1);
    }
}
