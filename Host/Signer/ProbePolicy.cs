using Datacrumbs.Messages.Unix;
using Datacrumbs.Messages.Probes;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Signer;

/// <summary>
/// The site's rules for what users may have signed. Every refusal names the probe and the rule,
/// so a user can fix the request and an admin can see why. Omitted members keep the defaults
/// declared here (settable properties: see <see cref="SignerConfig"/>).
/// </summary>
public sealed record ProbePolicy
{
    /// <summary>Probe types users may ask for, as written in the probe list (<c>"0"</c> for <c>"type": 0</c>).</summary>
    public List<string> AllowedTypes { get; set; } = [];
    /// <summary>
    /// Targets of uprobes/USDT (<c>binary_path</c>): an entry ending in <c>/</c> allows everything under
    /// that directory, any other entry exactly that file. Empty: no probe may name a binary.
    /// </summary>
    public List<string> AllowedBinaries { get; set; } = [];
    /// <summary>
    /// Sign targets (binary_path, bpf_path, process_header) that a user could change after signing:
    /// behind a symbolic link, or in a tree a user owns or may write (e.g. under /home/). Off by
    /// default: such a target can be re-pointed at any binary while the signature is valid.
    /// </summary>
    public bool AllowUserWritableTargets { get; set; }
    /// <summary>Types that carry custom BPF code; only members of <see cref="CustomGroups"/> may use them.</summary>
    public List<string> CustomTypes { get; set; } = [];
    /// <summary>Group names (or numeric gids) whose members may sign custom BPF probes.</summary>
    public List<string> CustomGroups { get; set; } = [];
    public int MaxProbes { get; set; } = 64;
    /// <summary>Functions over all probes together.</summary>
    public int MaxFunctions { get; set; } = 4096;
    /// <summary>The size of the categories (and the caller's summary members) as json-c writes them.</summary>
    public int MaxDocumentBytes { get; set; } = 1024 * 1024;
    public double ValidityHours { get; set; } = 24;

    public TimeSpan Validity => TimeSpan.FromHours(ValidityHours);

    internal void Validate(string path)
    {
        if (AllowedTypes.Count == 0) throw new InvalidDataException($"{path}: policy.allowed_types is empty: no probe could ever be signed");
        foreach (var b in AllowedBinaries)
            if (!b.StartsWith('/') || b.Contains("/../") || b.Contains("/./") || b.Contains("//"))
                throw new InvalidDataException($"{path}: policy.allowed_binaries entry '{UntrustedText.Printable(b)}' must be a normalized absolute path");
        if (MaxProbes < 1 || MaxFunctions < 1 || MaxDocumentBytes < 64)
            throw new InvalidDataException($"{path}: policy limits must be positive");
        if (ValidityHours is <= 0 or > 24 * 366) throw new InvalidDataException($"{path}: policy.validity_hours must be in (0, 8784]");
    }

    /// <summary>Resolves <see cref="CustomGroups"/> to gids once, at start (names through NSS).</summary>
    public HashSet<uint> ResolveCustomGroups()
    {
        var gids = new HashSet<uint>();
        foreach (var g in CustomGroups)
        {
            if (uint.TryParse(g, out var gid)) gids.Add(gid);
            else gids.Add(UnixAccounts.LookupGroup(g) ?? throw new InvalidDataException(
                $"policy.custom_groups: no group named '{UntrustedText.Printable(g)}' on this host (create it, or name an existing group: " +
                "Debian's administrators are in 'sudo', RHEL's in 'wheel')"));
        }
        return gids;
    }

    /// <summary>Null when the probes may be signed for this caller; otherwise the reason they may not.</summary>
    public string? Check(IReadOnlyList<ProbeSpec> probes, int plainBytes, IReadOnlySet<uint> callerGroups, IReadOnlySet<uint> customGids)
    {
        if (plainBytes > MaxDocumentBytes)
            return $"the probe list is {plainBytes} bytes; the site allows at most {MaxDocumentBytes}";
        if (probes.Count == 0) return "the probe list is empty";
        if (probes.Count > MaxProbes) return $"{probes.Count} probes; the site allows at most {MaxProbes}";
        var functions = probes.Sum(p => p.Functions.Count);
        if (functions > MaxFunctions) return $"{functions} functions in all; the site allows at most {MaxFunctions}";

        for (var i = 0; i < probes.Count; i++)
        {
            var p = probes[i];
            var where = $"probe {i} ({UntrustedText.Printable(p.Name)})";
            if (HasControl(p.Name) || p.Functions.Any(f => f.Length == 0 || f.Length > 512 || HasControl(f)))
                return $"{where}: names and functions must be non-empty text without control characters";
            if (CustomTypes.Contains(p.Type))
            {
                if (!callerGroups.Overlaps(customGids))
                    return $"{where}: type {UntrustedText.Printable(p.Type)} (custom BPF) is allowed only for members of {string.Join(", ", CustomGroups)}";
            }
            else if (!AllowedTypes.Contains(p.Type))
                return $"{where}: type {UntrustedText.Printable(p.Type)} is not allowed here (allowed: {string.Join(", ", AllowedTypes)})";
            if (p.BinaryPath is { } binary && BinaryProblem(binary) is { } problem)
                return $"{where}: binary_path '{UntrustedText.Printable(binary)}' {problem}";
            foreach (var (field, target) in p.TargetPaths)
                if (TargetProblem(target) is { } targetProblem)
                    return $"{where}: {field} '{UntrustedText.Printable(target)}' {targetProblem}";
        }
        return null;
    }

    private string? BinaryProblem(string path)
    {
        if (!path.StartsWith('/')) return "is not absolute";
        if (HasControl(path)) return "contains control characters";
        if (path.Contains("/../") || path.EndsWith("/..") || path.Contains("/./") || path.Contains("//"))
            return "is not a normalized path";
        foreach (var allowed in AllowedBinaries)
            if (allowed.EndsWith('/') ? path.StartsWith(allowed, StringComparison.Ordinal) : path == allowed)
                return null;
        return AllowedBinaries.Count == 0 ? "is not allowed: this site allows no binary targets"
            : $"is not under an allowed target ({string.Join(", ", AllowedBinaries)})";
    }

    /// <summary>Why a path the runtime will open as root may not be signed: user-changeable (unless allowed) or not a plain absolute path.</summary>
    private string? TargetProblem(string path)
    {
        if (!path.StartsWith('/') || HasControl(path) || path.Contains("/../") || path.EndsWith("/..") || path.Contains("/./") || path.Contains("//"))
            return "is not a normalized absolute path";
        if (AllowUserWritableTargets) return null;
        return TargetTrees.WhoCanChange(path) is { } why
            ? $"{why}; the site signs only targets no user can change (policy.allow_user_writable_targets)"
            : null;
    }

    private static bool HasControl(string s) => s.Any(char.IsControl);
}
