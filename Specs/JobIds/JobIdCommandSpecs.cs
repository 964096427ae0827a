using System.CommandLine;
using Datacrumbs.Ctl;

namespace Datacrumbs.Specs.JobIds;

public sealed class JobIdCommandSpecs
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        // A UTF-8 locale, as flux decides it: Specs/RealFlux/JobIdLocaleSpecs compares both locales with flux itself.
        var root = new RootCommand { JobIdCommand.Create(unicodePrefix: () => true) };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = root.Parse(["jobid", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Default_output_is_decimal_like_flux_job_id() =>
        Assert.Equal((0, "11475615744\n", ""), Run("ƒJV4Xks"));

    [Theory]
    [InlineData("dec", "11475615744")]
    [InlineData("f58", "ƒJV4Xks")]
    [InlineData("f58plain", "fJV4Xks")]
    [InlineData("hex", "0x2ac000000")]
    [InlineData("dothex", "0000.0002.ac00.0000")]
    [InlineData("kvs", "job.0000.0002.ac00.0000")]
    public void Every_form_from_any_form(string to, string expected)
    {
        foreach (var input in new[] { "11475615744", "ƒJV4Xks", "fJV4Xks", "0x2ac000000", "0000.0002.ac00.0000", "job.0000.0002.ac00.0000" })
            Assert.Equal((0, expected + "\n", ""), Run(input, "--to", to));
    }

    [Fact]
    public void Several_ids_one_per_line() =>
        Assert.Equal((0, "fNH\nfLUv\n", ""), Run("1234", "65535", "-t", "f58plain"));

    [Fact]
    public void A_bad_id_is_a_usage_error_naming_it_after_the_good_ones()
    {
        var (code, output, error) = Run("1234", "f0O", "65535");
        Assert.Equal(2, code);
        Assert.Equal("1234\n", output);
        Assert.Equal("datacrumbsctl jobid: 'f0O' is not a job id (expected decimal, f58 such as ƒLUv or fLUv, 0x hex, or a Slurm id such as s12345)\n", error);
    }

    [Fact]
    public void An_unknown_form_is_refused()
    {
        var (code, output, error) = Run("1234", "--to", "words");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("1234", output);
        Assert.Contains("words", error);
    }

    [Fact]
    public void No_id_is_refused() => Assert.NotEqual(0, Run().Code);

    [Fact]
    public void A_slurm_id_converts_to_its_decimal_form_only_and_says_so_for_the_others()
    {
        Assert.Equal((0, "12345\n", ""), Run("s12345"));
        Assert.Equal((2, "", "datacrumbsctl jobid: s12345 is a Slurm job id: it has only its decimal form, 12345\n"), Run("s12345", "--to", "f58plain"));
    }
}
