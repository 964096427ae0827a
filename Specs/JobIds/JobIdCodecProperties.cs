using CsCheck;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Specs.JobIds;

/// <summary>The job id codec, against the forms `flux job id` prints and accepts.</summary>
public sealed class JobIdCodecProperties
{
    private const string F58Digits = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private const long Iterations = 20_000;

    private static readonly Gen<ulong> AnyId = Gen.OneOf(
        Gen.ULong,                                 // uniformly wide values
        Gen.ULong.Select(v => v >> (int)(v % 64)), // every magnitude, including small ones
        Gen.OneOf(0UL, 1UL, 57UL, 58UL, ulong.MaxValue, ulong.MaxValue - 1, (ulong)uint.MaxValue));

    private static readonly Gen<JobIdFormat> AnyFormat = Gen.Enum<JobIdFormat>();

    private static JobId Parse(string text) =>
        JobId.TryParse(text, out var id, out var error) ? id : throw new Xunit.Sdk.XunitException($"'{text}' rejected: {error}");

    [Fact]
    public void Every_64_bit_value_round_trips_in_every_format() =>
        Gen.Select(AnyId, AnyFormat).Sample((value, format) =>
        {
            var id = new JobId(value);
            Assert.Equal(id, Parse(id.Format(format)));
        }, iter: Iterations, threads: 1);

    [Fact]
    public void Both_f58_prefixes_carry_the_same_digits() =>
        AnyId.Sample(value =>
        {
            var id = new JobId(value);
            var unicode = id.Format(JobIdFormat.F58);
            var ascii = id.Format(JobIdFormat.F58Plain);
            Assert.Equal('ƒ', unicode[0]);
            Assert.Equal('f', ascii[0]);
            Assert.Equal(unicode[1..], ascii[1..]);
            Assert.Equal(ascii, id.ToString());
        }, iter: Iterations, threads: 1);

    [Fact]
    public void Leading_1_digits_are_zeros() =>
        Gen.Select(AnyId, Gen.Int[0, 40], Gen.Bool).Sample((value, ones, unicode) =>
        {
            var digits = new JobId(value).Format(JobIdFormat.F58Plain)[1..];
            var text = (unicode ? "ƒ" : "f") + new string('1', ones) + digits;
            Assert.Equal(new JobId(value), Parse(text));
        }, iter: Iterations, threads: 1);

    [Theory]
    [InlineData(0UL, "ƒ1", "f1", "0x0", "0000.0000.0000.0000")]
    [InlineData(1234UL, "ƒNH", "fNH", "0x4d2", "0000.0000.0000.04d2")]
    [InlineData(65535UL, "ƒLUv", "fLUv", "0xffff", "0000.0000.0000.ffff")]
    [InlineData(4294967295UL, "ƒ7YXq9G", "f7YXq9G", "0xffffffff", "0000.0000.ffff.ffff")]
    [InlineData(11475615744UL, "ƒJV4Xks", "fJV4Xks", "0x2ac000000", "0000.0002.ac00.0000")]
    [InlineData(18446744073709551615UL, "ƒjpXCZedGfVQ", "fjpXCZedGfVQ", "0xffffffffffffffff", "ffff.ffff.ffff.ffff")]
    public void Flux_examples(ulong value, string f58, string f58plain, string hex, string dothex)
    {
        var id = new JobId(value);
        Assert.Equal(f58, id.Format(JobIdFormat.F58));
        Assert.Equal(f58plain, id.Format(JobIdFormat.F58Plain));
        Assert.Equal(hex, id.Format(JobIdFormat.Hex));
        Assert.Equal(dothex, id.Format(JobIdFormat.DotHex));
        Assert.Equal("job." + dothex, id.Format(JobIdFormat.Kvs));
        foreach (var text in new[] { value.ToString(), f58, f58plain, hex, dothex, "job." + dothex, hex.ToUpperInvariant().Replace("0X", "0x") })
            Assert.Equal(id, Parse(text));
    }

    [Fact]
    public void Dothex_starting_with_f_is_dothex_not_f58() =>
        // flux's fluid_parse tries dothex before f58; this codec used to read it as f58 and fail
        Assert.Equal(new JobId(0xffff_0000_0000_0001UL), Parse("ffff.0000.0000.0001"));

    [Theory]
    [InlineData("")]
    [InlineData(" 1234")]
    [InlineData("1234 ")]
    [InlineData("12 34")]
    [InlineData("\t1")]
    [InlineData("1234\n")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("18446744073709551616")]         // 2^64
    [InlineData("99999999999999999999")]
    [InlineData("fjpXCZedGfVR")]                 // 2^64 in f58
    [InlineData("fzzzzzzzzzzzz")]
    [InlineData("0x10000000000000000")]          // 17 hex digits
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData("0X12")]
    [InlineData("f")]
    [InlineData("ƒ")]
    [InlineData("f0")]
    [InlineData("fO")]
    [InlineData("fI")]
    [InlineData("fl")]
    [InlineData("ƒNH0")]
    [InlineData("ƒƒ1")]
    [InlineData("fƒ1")]
    [InlineData("f0x1")]
    [InlineData("ƒ0x1")]
    [InlineData("job.ƒ1")]
    [InlineData("job.0000.0000.0000")]
    [InlineData("0000.0000.0000.00000")]
    [InlineData("0000.0000.0000.000g")]
    [InlineData("0000-0000-0000-0000")]
    [InlineData("JOB.0000.0000.0000.0000")]
    [InlineData("１２３")]                           // full-width digits
    [InlineData("academy-hoffman-mexico--anagram-hoffman-mexico")] // words: not supported
    public void Everything_else_is_rejected_with_a_message(string text)
    {
        Assert.False(JobId.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Too_long_is_rejected_before_any_decoding()
    {
        Assert.False(JobId.TryParse("f" + new string('1', 64), out _, out var error));
        Assert.Equal("job id is too long (65 characters)", error);
    }

    [Fact]
    public void Any_forbidden_f58_digit_anywhere_is_rejected() =>
        Gen.Select(AnyId, Gen.Char["0OIl+/ .ƒ"], Gen.Int[0, 12], Gen.Bool).Sample((value, bad, at, unicode) =>
        {
            var digits = new JobId(value).Format(JobIdFormat.F58Plain)[1..];
            var text = (unicode ? "ƒ" : "f") + digits.Insert(Math.Min(at, digits.Length), bad.ToString());
            Assert.False(JobId.TryParse(text, out _, out _), text);
        }, iter: Iterations, threads: 1);

    [Fact]
    public void Arbitrary_text_never_throws_and_what_parses_re_encodes_to_itself() =>
        Gen.Char[F58Digits + "0123456789abcdefxXjob.ƒ \t\n-+OIl"].Array[0, 24].Select(a => new string(a)).Sample(text =>
        {
            if (!JobId.TryParse(text, out var id, out _)) return;
            if (id.Scheduler == JobScheduler.Slurm) Assert.Equal(id, Parse(id.ToString())); // "s..." (SlurmJobIdProperties)
            else
                foreach (var format in Enum.GetValues<JobIdFormat>())
                    Assert.Equal(id, Parse(id.Format(format)));
        }, iter: Iterations, threads: 1);

    [Fact]
    public void Printable_escapes_control_characters_and_lone_surrogates()
    {
        Assert.Equal("a\\x0ab\\x1b", UntrustedText.Printable("a\nb\u001b"));
        Assert.Equal("p\\udcff", UntrustedText.Printable("p\udcff"));
        Assert.Equal("😀", UntrustedText.Printable("😀"));
    }
}
