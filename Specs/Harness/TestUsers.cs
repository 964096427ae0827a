using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Specs.Harness;

/// <summary>A real account on this machine, as the C library reports it.</summary>
public sealed record TestUser(string Name, uint Uid, uint Gid)
{
    public override string ToString() => $"{Name} (uid {Uid})";
}

/// <summary>
/// The real users the specs act as, looked up by name: test.sh creates them, and their uids and
/// gids are whatever this machine gave them (never 1001 and 1002 by assumption).
/// </summary>
public static class TestUsers
{
    private static readonly Lazy<TestUser> s_alice = new(() => Lookup("dcalice"));
    private static readonly Lazy<TestUser> s_bob = new(() => Lookup("dcbob"));
    private static readonly Lazy<TestUser> s_flux = new(() => Lookup("flux"));

    /// <summary>An ordinary user who owns the jobs and probe files of most specs.</summary>
    public static TestUser Alice => s_alice.Value;

    /// <summary>Another ordinary user: the attacker, the other user, the hoarder.</summary>
    public static TestUser Bob => s_bob.Value;

    /// <summary>The Flux instance owner.</summary>
    public static TestUser FluxOwner => s_flux.Value;

    /// <summary>
    /// Replaces each <c>{uid:NAME}</c> in a text with that user's uid, so that theory data (which
    /// must be constant) can name users and the assertion still sees this machine's numbers.
    /// </summary>
    public static string Expand(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\{uid:([a-z_][a-z0-9_-]*)\}", m => Lookup(m.Groups[1].Value).Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static TestUser Lookup(string name)
    {
        var uid = UnixAccounts.LookupUid(name)
            ?? throw new InvalidOperationException($"the test user '{name}' does not exist on this machine: run the specs through ./test.sh, which creates dcalice, dcbob and flux");
        var account = UnixAccounts.LookupUser(uid) ?? throw new InvalidOperationException($"uid {uid} of '{name}' has no account");
        return new TestUser(name, uid, account.Gid);
    }
}
