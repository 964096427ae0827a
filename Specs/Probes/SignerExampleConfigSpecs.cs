using Datacrumbs.Signer;

namespace Datacrumbs.Specs.Probes;

/// <summary>
/// The example signer configuration (installed as /etc/datacrumbs/signer.json) must start on this
/// Debian machine: every group it names exists. A group that does not exist stops the signer at
/// start with a message naming it.
/// </summary>
public sealed class SignerExampleConfigSpecs
{
    private static readonly string Example = Path.Combine(AppContext.BaseDirectory, "signer.example.json");

    [Fact]
    public void The_example_configurations_groups_all_exist_here()
    {
        var config = SignerConfig.Load(Example);

        var gids = config.Policy.ResolveCustomGroups();

        Assert.Equal(config.Policy.CustomGroups.Count, gids.Count);
    }

    [Fact]
    public void A_group_that_does_not_exist_is_named_at_start()
    {
        var policy = SignerConfig.Load(Example).Policy with { CustomGroups = ["sudo", "dc-no-such-group"] };

        var refused = Assert.Throws<InvalidDataException>(policy.ResolveCustomGroups);

        Assert.StartsWith("policy.custom_groups: no group named 'dc-no-such-group' on this host", refused.Message);
    }
}
