using System.Diagnostics;
using System.Text;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Probes.JsonC;

/// <summary>
/// The real libjson-c (Debian's libjson-c-dev, what the DataCrumbs runtime links): jsonc-plain.c compiled
/// with gcc once per test run, then fed one document a line. Its answers are the ground truth the
/// specs compare our serializer with.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JsonCLibrary : IAsyncLifetime
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _dir = Directory.CreateTempSubdirectory("dc-jsonc-").FullName;
    public string Helper => Path.Combine(_dir, "jsonc-plain");

    public async Task InitializeAsync()
    {
        var source = Path.Combine(ProbesTamperSpec.RepoRoot(), "Specs/Probes/JsonC/jsonc-plain.c");
        (await Run.CommandAsync("gcc", ["-O1", "-Wall", "-Werror", "-o", Helper, source, "-ljson-c"], TimeSpan.FromSeconds(120)))
            .EnsureSuccess("gcc jsonc-plain.c -ljson-c (apt-get install gcc libjson-c-dev; .ci/run does)");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>json-c's answer for each line: its PLAIN text, or null where json_tokener_parse refused it.</summary>
    public async Task<IReadOnlyList<string?>> AskAsync(string mode, IReadOnlyList<string> lines)
    {
        var psi = new ProcessStartInfo(Helper, [mode])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardInputEncoding = Utf8, StandardOutputEncoding = Utf8, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        foreach (var line in lines) await p.StandardInput.WriteAsync(line + "\n");
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await stderr);
        var answers = (await stdout).Split('\n')[..^1];
        Assert.Equal(lines.Count, answers.Length);
        return answers.Select(a => a == "!error" ? null : a).ToList();
    }
}
