using CsCheck;
using Datacrumbs.Messages.Jobs;

namespace Datacrumbs.Specs.JobIds;

/// <summary>
/// Slurm job ids (SLURM_JOB_ID: 32-bit decimal) and their canonical form s12345, beside Flux's on
/// one node: every name derived from an id (unit, run-dir files, journal field) tells the two apart.
/// </summary>
public sealed class SlurmJobIdProperties
{
    private const long Iterations = 20_000;

    private static readonly Gen<uint> AnySlurm = Gen.OneOf(
        Gen.UInt,
        Gen.UInt.Select(v => v >> (int)(v % 32)), // every magnitude
        Gen.OneOf(0u, 1u, 9u, 10u, 12345u, 67043328u, uint.MaxValue - 1, uint.MaxValue));

    private static readonly Gen<ulong> AnyFlux = Gen.OneOf(Gen.ULong, Gen.ULong.Select(v => v >> (int)(v % 64)), Gen.OneOf(0UL, 1UL, 12345UL, uint.MaxValue));

    private static string Rejected(string text) =>
        JobId.TryParseSlurm(text, out var id, out var error) ? throw new Xunit.Sdk.XunitException($"'{text}' accepted as {id}") : error;

    [Fact]
    public void Every_32_bit_id_round_trips_from_what_slurm_gives_and_from_its_canonical_form() =>
        AnySlurm.Sample(value =>
        {
            var id = JobId.Slurm(value);
            Assert.Equal($"s{value}", id.ToString());
            Assert.Equal(JobScheduler.Slurm, id.Scheduler);
            Assert.Equal(value.ToString(), id.Format(JobIdFormat.Decimal));
            Assert.True(JobId.TryParseSlurm(value.ToString(), out var fromSlurm, out _));
            Assert.True(JobId.TryParseSlurm(id.ToString(), out var fromCanonical, out _));
            Assert.True(JobId.TryParse(id.ToString(), out var fromAnyForm, out _));
            Assert.Equal(id, fromSlurm);
            Assert.Equal(id, fromCanonical);
            Assert.Equal(id, fromAnyForm);
        }, iter: Iterations, threads: 1);

    [Fact]
    public void A_flux_id_and_a_slurm_id_never_share_a_name_even_with_the_same_number() =>
        Gen.Select(AnyFlux, AnySlurm, Gen.Bool).Sample((flux, slurm, sameNumber) =>
        {
            var fluxId = new JobId(sameNumber ? slurm : flux);
            var slurmId = JobId.Slurm(slurm);
            Assert.NotEqual(fluxId, slurmId);
            Assert.NotEqual(fluxId.ToString(), slurmId.ToString());
            Assert.NotEqual(JobNames.Unit(fluxId), JobNames.Unit(slurmId));
            Assert.NotEqual(JobNames.EnvFile(fluxId), JobNames.EnvFile(slurmId));
            Assert.NotEqual(JobNames.ReadyFile(fluxId), JobNames.ReadyFile(slurmId));
            Assert.NotEqual(0, fluxId.CompareTo(slurmId));
        }, iter: Iterations, threads: 1);

    [Fact]
    public void No_flux_form_reads_as_a_slurm_id_and_slurm_ids_are_never_read_as_flux_ones() =>
        Gen.Select(AnyFlux, Gen.Enum<JobIdFormat>(), AnySlurm).Sample((flux, format, slurm) =>
        {
            Assert.Equal(JobScheduler.Flux, JobId.Parse(new JobId(flux).Format(format)).Scheduler);
            Assert.Equal(JobScheduler.Slurm, JobId.Parse(JobId.Slurm(slurm).ToString()).Scheduler);
            // The f58 forms Slurm's reader must refuse, not read as decimal digits.
            Assert.False(JobId.TryParseSlurm(new JobId(flux).ToString(), out _, out _));
        }, iter: Iterations, threads: 1);

    [Fact]
    public void Both_kinds_come_back_from_their_unit_and_file_names_as_adoption_reads_them() =>
        Gen.Select(AnyFlux, AnySlurm).Sample((flux, slurm) =>
        {
            foreach (var id in new[] { new JobId(flux), JobId.Slurm(slurm) })
            {
                var unit = JobNames.Unit(id);
                Assert.Matches("^datacrumbs@[A-Za-z0-9]+\\.service$", unit); // an instance name systemd needs no escaping for
                Assert.True(JobNames.TryParseUnit(unit, out var fromUnit));
                Assert.True(JobNames.TryParseAnyFile(JobNames.EnvFile(id), out var fromEnv));
                Assert.True(JobNames.TryParseAnyFile(JobNames.ProbeCopy(id), out var fromCopy));
                Assert.True(JobNames.TryParseFile(JobNames.ReadyFile(id), JobNames.ReadySuffix, out var fromReady));
                Assert.Equal(id, fromUnit);
                Assert.Equal(id, fromEnv);
                Assert.Equal(id, fromCopy);
                Assert.Equal(id, fromReady);
            }
        }, iter: Iterations, threads: 1);

    [Theory]
    [InlineData("datacrumbs@s007.service")] // not canonical: another process's name, not ours
    [InlineData("datacrumbs@s.service")]
    [InlineData("datacrumbs@s4294967296.service")]
    [InlineData("datacrumbs@S12.service")]
    [InlineData("datacrumbs@slurm-12.service")]
    public void Unit_names_that_are_not_a_canonical_slurm_id_are_not_adopted(string unit) =>
        Assert.False(JobNames.TryParseUnit(unit, out _));

    [Theory]
    [InlineData("", "Slurm job id is empty")]
    [InlineData("s", "'s' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("12a", "'12a' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("-1", "'-1' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("+1", "'+1' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData(" 12", "' 12' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("12\n", "'12\\x0a' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("1\u00002", "'1\\x002' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("12_3", "'12_3' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")] // an array task's display form, not its SLURM_JOB_ID
    [InlineData("0x10", "'0x10' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("fLUv", "'fLUv' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("ss1", "'ss1' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")]
    [InlineData("１２", "'１２' is not a Slurm job id (expected decimal digits, such as 12345 or s12345)")] // full-width digits
    [InlineData("4294967296", "'4294967296' is not a Slurm job id (larger than 4294967295, Slurm's largest)")]
    [InlineData("s99999999999999999999", "'s99999999999999999999' is not a Slurm job id (larger than 4294967295, Slurm's largest)")]
    public void Hostile_slurm_ids_are_refused_with_a_message_that_names_them(string text, string message) =>
        Assert.Equal(message, Rejected(text));

    [Fact]
    public void Too_long_is_refused_before_any_reading() =>
        Assert.Equal("Slurm job id is too long (65 characters)", Rejected(new string('1', 65)));

    [Fact]
    public void Arbitrary_text_never_throws_and_what_reads_as_a_slurm_id_is_32_bit_and_canonical_again() =>
        Gen.Char["0123456789sS \t\n-+x\u0000１"].Array[0, 16].Select(a => new string(a)).Sample(text =>
        {
            if (!JobId.TryParseSlurm(text, out var id, out var error))
            {
                Assert.False(string.IsNullOrWhiteSpace(error));
                Assert.DoesNotContain('\n', error);
                return;
            }
            Assert.Equal(JobScheduler.Slurm, id.Scheduler);
            Assert.True(id.Value <= uint.MaxValue);
            Assert.Equal(id, JobId.Parse(id.ToString()));
        }, iter: Iterations, threads: 1);

    [Fact]
    public void A_slurm_id_has_no_flux_form_and_says_so()
    {
        var e = Assert.Throws<FormatException>(() => JobId.Slurm(12345).Format(JobIdFormat.F58));
        Assert.Equal("s12345 is a Slurm job id: it has no F58 form, only its decimal one", e.Message);
    }
}
