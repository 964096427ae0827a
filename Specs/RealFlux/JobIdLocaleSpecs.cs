using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.RealFlux;

/// <summary>
/// `datacrumbsctl jobid --to f58` prints byte for byte what the real `flux job id --to=f58`
/// prints in the same environment: 'f' under LANG=C (and for a UTF-8 locale that is not
/// installed, or FLUX_F58_FORCE_ASCII), 'ƒ' under C.UTF-8. Needs only the real flux command, not
/// the instance; it is in the collection so it skips (or fails under CI) like the others.
/// </summary>
[Collection(RealFluxCollection.Name)]
public sealed class JobIdLocaleSpecs(RealFluxInstance flux)
{
    public static TheoryData<string[]> Environments => new()
    {
        new[] { "LANG=C" },
        new[] { "LANG=C.UTF-8" },
        new[] { "LC_ALL=C.UTF-8" },
        new[] { "LANG=C.UTF-8", "LC_ALL=C" },
        new[] { "LANG=C", "LC_CTYPE=C.UTF-8" },
        new[] { "LANG=C.UTF-8", "FLUX_F58_FORCE_ASCII=1" },
        new[] { "LANG=xx_NO.UTF-8" }, // not installed: flux falls back to C
        Array.Empty<string>(),
    };

    private static Task<Run.Result> InAsync(string[] environment, string command, params string[] args) =>
        Run.CommandAsync("env", ["-i", "PATH=/usr/bin:/bin", .. environment, command, .. args], RealFluxInstance.Generous);

    [SkippableTheory]
    [MemberData(nameof(Environments))]
    public async Task Jobid_to_f58_prints_what_flux_job_id_prints_in_the_same_locale(string[] environment)
    {
        flux.Require();
        string[] ids = ["1234567", "11475615744", "ƒJV4Xks"];

        var fluxSays = (await InAsync(environment, RealFluxInstance.Flux, ["job", "id", "--to=f58", .. ids])).EnsureSuccess("flux job id");
        var weSay = (await InAsync(environment, DaemonProcess.Ctl, ["jobid", "--to", "f58", .. ids])).EnsureSuccess("datacrumbsctl jobid");

        Assert.Equal(fluxSays.Stdout, weSay.Stdout);
    }
}
