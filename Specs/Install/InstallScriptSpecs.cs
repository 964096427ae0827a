using System.Reflection;
using Datacrumbs.Daemon.Configuration;
using Datacrumbs.Specs.Harness;

namespace Datacrumbs.Specs.Install;

/// <summary>
/// deploy/install.sh into a temp prefix, with the programs this test build already made
/// (--from: publishing here would take minutes): the layout the spec lists, modes, links,
/// idempotence, dry runs, admin-edited configuration, and refusals.
/// </summary>
public sealed class InstallScriptSpecs : IDisposable
{
    private static readonly string Repo = FindRepo();
    private static readonly string Script = Path.Combine(Repo, "deploy", "install.sh");
    private readonly string _dir = Directory.CreateTempSubdirectory("dc-install-").FullName;
    private string Prefix => Path.Combine(_dir, "root");
    private string From => Path.Combine(_dir, "build");

    public InstallScriptSpecs()
    {
        // The layout install.sh publishes to: one directory per program, from this build's outputs.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        var framework = new DirectoryInfo(AppContext.BaseDirectory).Name;
        Directory.CreateDirectory(From);
        foreach (var (name, project) in new[] { ("daemon", "Daemon"), ("ctl", "Ctl"), ("signer", "Signer") })
            File.CreateSymbolicLink(Path.Combine(From, name), Path.Combine(Repo, "Host", project, "bin", configuration, framework));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // install.sh forks a few programs per file (about 150 files here): it took 93 s with the
    // load average at 20. The deadlines only end a script that hangs.
    /// <summary>Runs the installer; unless a spec names one, with --flux flux (the shipped FluxCommand), so no Flux on this machine changes what is installed.</summary>
    private Task<Run.Result> InstallAsync(params string[] args) =>
        Run.CommandAsync(Script, ["--prefix", Prefix, .. args.Any(a => a.StartsWith("--flux", StringComparison.Ordinal)) ? args : [.. args, "--flux", "flux"]], TimeSpan.FromMinutes(10));

    private Task<Run.Result> InstallDetectingFluxAsync(params string[] args) =>
        Run.CommandAsync(Script, ["--prefix", Prefix, .. args], TimeSpan.FromMinutes(10),
            new Dictionary<string, string?> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" });

    private string At(string path) => Prefix + path;

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    /// <summary>Every path under the prefix with what a change would alter: kind, mode, size, mtime, inode, link target.</summary>
    private async Task<string> SnapshotAsync() =>
        Directory.Exists(Prefix)
            ? (await Run.CommandAsync("find", Prefix, "-printf", "%P %y %m %s %T@ %i %l\n")).EnsureSuccess("find").Stdout
            : "";

    [Fact]
    public async Task A_fresh_install_lays_out_every_component_with_its_mode()
    {
        var r = await InstallAsync("--from", From, "--standin-tracer");

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        (string Path, string Mode, string Source)[] files =
        [
            ("/etc/datacrumbs/systemd/datacrumbs_sign_probes.service", "644", "deploy/systemd/datacrumbs_sign_probes.service"),
            ("/etc/datacrumbs/systemd/datacrumbs@.service", "644", "deploy/systemd/datacrumbs@.service"),
            ("/etc/datacrumbs/systemd/datacrumbsd.service", "644", "deploy/systemd/datacrumbsd.service"),
            ("/etc/datacrumbs/systemd/datacrumbsd.socket", "644", "deploy/systemd/datacrumbsd.socket"),
            ("/etc/datacrumbs/systemd/datacrumbsd-hooks.socket", "644", "deploy/systemd/datacrumbsd-hooks.socket"),
            ("/sbin/datacrumbs_service_run.sh", "755", "deploy/flux/datacrumbs_service_run.sh"),
            ("/sbin/datacrumbs_service_stop.sh", "755", "deploy/flux/datacrumbs_service_stop.sh"),
            ("/sbin/datacrumbs_hook_args.sh", "644", "deploy/flux/datacrumbs_hook_args.sh"),
            ("/etc/datacrumbs/flux/cli/plugins/datacrumbs.py", "644", "deploy/flux/cli/plugins/datacrumbs.py"),
            ("/etc/datacrumbs/flux/job-manager.toml", "644", "deploy/flux/job-manager.toml"),
            ("/usr/bin/datacrumbs_service_wrapper", "755", "deploy/flux/datacrumbs_service_wrapper"),
            ("/etc/datacrumbs/datacrumbsd.json", "644", "deploy/config/datacrumbsd.json"),
            ("/etc/datacrumbs/signer.json", "644", "Host/Signer/signer.example.json"),
            ("/usr/lib/datacrumbs/daemon/datacrumbsd", "755", "Host/Daemon/bin"),
            ("/usr/lib/datacrumbs/daemon/datacrumbsd.dll", "644", "Host/Daemon/bin"),
            ("/usr/lib/datacrumbs/ctl/datacrumbsctl", "755", "Host/Ctl/bin"),
            ("/usr/lib/datacrumbs/signer/datacrumbs_sign_probes", "755", "Host/Signer/bin"),
            ("/usr/libexec/datacrumbs/datacrumbs-standin-tracer", "755", "Host/StandInTracer/datacrumbs-standin-tracer"),
        ];
        foreach (var (path, mode, source) in files)
        {
            Assert.True(File.Exists(At(path)) && new FileInfo(At(path)).LinkTarget is null, $"{path} is a regular file");
            Assert.Equal((path, mode), (path, Mode(At(path))));
            if (!source.EndsWith("/bin", StringComparison.Ordinal))
                Assert.Equal(File.ReadAllBytes(Path.Combine(Repo, source)), File.ReadAllBytes(At(path)));
        }
        (string Path, string Target)[] links =
        [
            ("/usr/sbin/datacrumbsd", "../lib/datacrumbs/daemon/datacrumbsd"),
            ("/usr/sbin/datacrumbs_sign_probes", "../lib/datacrumbs/signer/datacrumbs_sign_probes"),
            ("/usr/bin/datacrumbsctl", "../lib/datacrumbs/ctl/datacrumbsctl"),
            ("/usr/libexec/datacrumbs/datacrumbs-tracer", "datacrumbs-standin-tracer"),
        ];
        foreach (var (path, target) in links) Assert.Equal((path, target), (path, new FileInfo(At(path)).LinkTarget));
        Assert.Equal("fNH\n", (await Run.CommandAsync(At("/usr/bin/datacrumbsctl"), "jobid", "1234", "--to", "f58plain")).Stdout);
        Assert.Contains("systemctl enable --now datacrumbsd.socket datacrumbsd-hooks.socket datacrumbsd.service", r.Stdout);
        Assert.Contains("flux config reload", r.Stdout);
        Assert.Contains("ln -sf /etc/datacrumbs/systemd/datacrumbs@.service /etc/systemd/system/datacrumbs@.service", r.Stdout);
    }

    [Fact]
    public async Task A_second_run_changes_nothing()
    {
        Assert.Equal(0, (await InstallAsync("--from", From, "--tracer", "/opt/datacrumbs/bin/datacrumbs")).ExitCode);
        var before = await SnapshotAsync();

        var again = await InstallAsync("--from", From); // the tracer link from the first run is kept

        Assert.Equal(0, again.ExitCode);
        Assert.Contains("install.sh: 0 changed,", again.Stdout);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal("/opt/datacrumbs/bin/datacrumbs", new FileInfo(At("/usr/libexec/datacrumbs/datacrumbs-tracer")).LinkTarget);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_on_a_new_or_an_installed_tree()
    {
        var dry = await InstallAsync("--from", From, "--standin-tracer", "--dry-run");
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("would: installed     /sbin/datacrumbs_service_run.sh", dry.Stdout);
        Assert.Contains("nothing was changed", dry.Stdout);
        Assert.False(Directory.Exists(Prefix));

        Assert.Equal(0, (await InstallAsync("--from", From, "--standin-tracer")).ExitCode);
        File.WriteAllText(At("/sbin/datacrumbs_service_run.sh"), "#!/bin/sh\n");
        var before = await SnapshotAsync();
        dry = await InstallAsync("--from", From, "--dry-run");
        Assert.Contains("would: updated       /sbin/datacrumbs_service_run.sh", dry.Stdout);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_flux_under_a_prefix_is_named_in_the_daemons_configuration()
    {
        var r = await InstallAsync("--from", From, "--standin-tracer", "--flux", "/opt/flux/bin/flux");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"FluxCommand\": \"/opt/flux/bin/flux\",", File.ReadAllText(At("/etc/datacrumbs/datacrumbsd.json")));
    }

    [Fact]
    public async Task An_unusable_flux_path_is_refused_naming_it()
    {
        var r = await InstallAsync("--from", From, "--standin-tracer", "--flux", "/opt/fl\"ux");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--flux: unusable path '/opt/fl\"ux'", r.Stderr);
    }

    private const string SharedFlux = "/opt/flux/bin/flux";

    private static void RequireSharedFlux()
    {
        if (File.Exists(SharedFlux)) return;
        Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI=true and no real Flux at /opt/flux (.ci/run installs it)");
        Skip.If(true, "no real Flux at /opt/flux (.ci/run installs it with ../shared/tools/flux/install.sh)");
    }

    [SkippableFact]
    public async Task The_shared_Flux_under_opt_flux_is_found_without_an_option()
    {
        RequireSharedFlux();

        var r = await InstallDetectingFluxAsync("--from", From, "--standin-tracer");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"FluxCommand\": \"/opt/flux/bin/flux\",", File.ReadAllText(At("/etc/datacrumbs/datacrumbsd.json")));
    }

    [SkippableFact]
    public async Task The_printed_steps_put_the_plugin_and_the_TOML_where_the_shared_Flux_looks_and_the_installed_plugin_loads_there()
    {
        RequireSharedFlux();

        var r = await InstallDetectingFluxAsync("--from", From, "--standin-tracer");

        Assert.Equal(0, r.ExitCode);
        // flux.cli.plugin searches <confdir>/cli/plugins, confdir from the Flux's own build (conf_builtin).
        var confdir = (await Run.CommandAsync(SharedFlux, ["python", "-c", "from flux.conf_builtin import conf_builtin_get as g; print(g('confdir'))"],
            TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" })).EnsureSuccess("flux python").Stdout.Trim();
        Assert.Equal("/opt/flux/etc/flux", confdir);
        Assert.Contains($"ln -sf /etc/datacrumbs/flux/cli/plugins/datacrumbs.py {confdir}/cli/plugins/datacrumbs.py", r.Stdout);
        Assert.Contains($"cp /etc/datacrumbs/flux/job-manager.toml {confdir}/system/conf.d/datacrumbs.toml", r.Stdout);
        Assert.Contains($"{SharedFlux} config reload && {SharedFlux} jobtap load perilog.so", r.Stdout);
        // What that link points at is a plugin this Flux loads: its options appear with only that directory searched.
        var help = (await Run.CommandAsync(SharedFlux, ["run", "--help"], TimeSpan.FromMinutes(2), new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin:/bin", ["FLUX_CLI_PLUGINPATH"] = null, ["FLUX_CLI_PLUGINPATH_OVERRIDE"] = At("/etc/datacrumbs/flux/cli/plugins"),
        })).EnsureSuccess("flux run --help");
        Assert.Contains("--datacrumbs-enable", help.Stdout);
        Assert.Contains("--datacrumbs-probe-file", help.Stdout);
    }

    [Fact]
    public async Task The_printed_secret_step_never_overwrites_a_secret_and_the_steps_state_the_real_AllowedCallers_default_and_hosts_without_systemd()
    {
        var r = await InstallAsync("--from", From, "--standin-tracer", "--dry-run");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        const string Secret = "/usr/local/share/datacrumbs/data/.datacrumbs-probe-secret";
        var at = Array.FindIndex(lines, l => l.TrimStart().StartsWith($"s={Secret}", StringComparison.Ordinal));
        Assert.True(at >= 0, r.Stdout);
        var secret = Path.Combine(_dir, "data", ".datacrumbs-probe-secret");
        // The two printed lines as an admin pastes them, aimed at this spec's directory.
        var step = string.Join('\n', lines[at].Replace(Secret, secret, StringComparison.Ordinal), lines[at + 1]);

        (await Run.CommandAsync("bash", "-c", step)).EnsureSuccess("the printed secret step, no secret yet");
        var made = await File.ReadAllTextAsync(secret);
        Assert.Matches("^[0-9a-f]{64}$", made);
        Assert.Equal("400", Mode(secret));
        (await Run.CommandAsync("bash", "-c", step)).EnsureSuccess("the printed secret step, run again");
        Assert.Equal(made, await File.ReadAllTextAsync(secret)); // a re-run keeps the secret every signed file depends on

        Assert.DoesNotContain("/dev/null", r.Stdout); // the old step that emptied the key file: install ... /dev/null ...
        Assert.Contains("(the daemon's built-in default is none: root only)", r.Stdout);
        Assert.Empty(new DaemonOptions().AllowedCallers); // ... which is true
        Assert.Contains("Hosts without systemd: datacrumbsd runs the tracer itself", r.Stdout);
    }

    [Fact]
    public async Task An_edited_configuration_file_is_kept_and_the_shipped_one_put_beside_it()
    {
        Assert.Equal(0, (await InstallAsync("--from", From, "--standin-tracer")).ExitCode);
        var config = At("/etc/datacrumbs/datacrumbsd.json");
        File.WriteAllText(config, """{ "AllowedCallers": [ "fluxadm" ] }""");

        var r = await InstallAsync("--from", From);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("""{ "AllowedCallers": [ "fluxadm" ] }""", File.ReadAllText(config));
        Assert.Equal(File.ReadAllText(Path.Combine(Repo, "deploy/config/datacrumbsd.json")), File.ReadAllText(config + ".dist"));
        Assert.Contains("kept your /etc/datacrumbs/datacrumbsd.json; compare with /etc/datacrumbs/datacrumbsd.json.dist", r.Stdout);
        var before = await SnapshotAsync();
        Assert.Contains("install.sh: 0 changed,", (await InstallAsync("--from", From)).Stdout);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_configuration_file_nobody_edited_follows_the_shipped_version()
    {
        Assert.Equal(0, (await InstallAsync("--from", From, "--standin-tracer")).ExitCode);
        // As if an older release had shipped it: its checksum is recorded as installed.
        var unit = At("/etc/datacrumbs/systemd/datacrumbs@.service");
        File.WriteAllText(unit, "# an older datacrumbs@.service\n");
        var sum = (await Run.CommandAsync("sha256sum", unit)).Stdout.Split(' ')[0];
        var manifest = At("/var/lib/datacrumbs/conffiles");
        File.WriteAllLines(manifest, File.ReadAllLines(manifest).Select(l => l.EndsWith(" /etc/datacrumbs/systemd/datacrumbs@.service", StringComparison.Ordinal) ? $"{sum} /etc/datacrumbs/systemd/datacrumbs@.service" : l));

        var r = await InstallAsync("--from", From);

        Assert.Contains("updated              /etc/datacrumbs/systemd/datacrumbs@.service", r.Stdout);
        Assert.Equal(File.ReadAllText(Path.Combine(Repo, "deploy/systemd/datacrumbs@.service")), File.ReadAllText(unit));
        Assert.False(File.Exists(unit + ".dist"));
    }

    [Fact]
    public async Task A_build_that_lacks_a_program_is_refused_before_anything_changes()
    {
        var partial = Path.Combine(_dir, "partial");
        Directory.CreateDirectory(partial);
        File.CreateSymbolicLink(Path.Combine(partial, "daemon"), Path.Combine(From, "daemon"));

        var r = await InstallAsync("--from", partial, "--standin-tracer");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{partial}/ctl/datacrumbsctl is missing or not executable", r.Stderr);
        Assert.Contains($"{partial}/signer/datacrumbs_sign_probes is missing or not executable", r.Stderr);
        Assert.Contains("nothing was changed", r.Stderr);
        Assert.False(Directory.Exists(Prefix));
    }

    [Theory]
    [InlineData(new string[0], "no tracer: give --tracer PATH")]
    [InlineData(new[] { "--tracer", "datacrumbs" }, "--tracer must be an absolute path")]
    [InlineData(new[] { "--tracer", "/opt/t", "--standin-tracer" }, "not both")]
    [InlineData(new[] { "--standin-tracer", "--bogus" }, "unknown argument '--bogus'")]
    public async Task Half_configured_runs_are_refused(string[] args, string message)
    {
        var r = await InstallAsync(["--from", From, .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(Directory.Exists(Prefix));
    }

    [Fact]
    public async Task Without_a_prefix_it_refuses()
    {
        var r = await Run.CommandAsync(Script, ["--standin-tracer", "--from", From], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--prefix is required", r.Stderr);
    }

    [Fact]
    public void The_example_daemon_configuration_loads_and_keeps_the_defaults()
    {
        var example = DaemonConfiguration.Load(Path.Combine(Repo, "deploy/config/datacrumbsd.json"), new Dictionary<string, string?>());
        var defaults = new DaemonOptions();
        defaults.Validate();

        Assert.Equal(["flux"], example.AllowedCallers); // the site settings: the Flux instance owner
        Assert.Equal("flux", example.HookSocketGroup);
        example.AllowedCallers = defaults.AllowedCallers;
        example.HookSocketGroup = defaults.HookSocketGroup;
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(defaults), System.Text.Json.JsonSerializer.Serialize(example));
    }

    [Fact]
    public void Every_daemon_setting_is_in_the_example_and_in_the_docs()
    {
        var example = File.ReadAllText(Path.Combine(Repo, "deploy/config/datacrumbsd.json"));
        var docs = File.ReadAllText(Path.Combine(Repo, "docs/flux-integration.rst"));
        foreach (var key in SettingKeys(typeof(DaemonOptions), ""))
        {
            Assert.True(example.Contains($"\"{key.Split(':')[^1]}\"", StringComparison.Ordinal), $"{key} is in deploy/config/datacrumbsd.json");
            Assert.True(docs.Contains($"``{key}``", StringComparison.Ordinal), $"{key} is described in docs/flux-integration.rst");
        }
    }

    private static IEnumerable<string> SettingKeys(Type type, string prefix)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            yield return prefix + p.Name;
            if (p.PropertyType.IsClass && p.PropertyType.IsNested && p.PropertyType.DeclaringType == typeof(DaemonOptions))
                foreach (var nested in SettingKeys(p.PropertyType, prefix + p.Name + ":")) yield return nested;
        }
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "install.sh")))
                return dir.FullName;
        throw new InvalidOperationException("deploy/install.sh not found above " + AppContext.BaseDirectory);
    }
}
