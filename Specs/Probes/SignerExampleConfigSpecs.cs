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

    /// <summary>Issue 19: upstream's JSON-RPC listener is off unless the site sets tcp_listen.</summary>
    [Fact]
    public void The_example_configuration_leaves_the_tcp_listener_off()
    {
        var config = SignerConfig.Load(Example);

        Assert.Null(config.TcpListen);
        Assert.Null(config.TcpEndPoint);
        Assert.Contains("//   \"tcp_listen\": \"0.0.0.0:43123\",", File.ReadAllText(Example));
    }

    [Theory]
    [InlineData("localhost:43123")]
    [InlineData("0.0.0.0")]
    [InlineData("0.0.0.0:70000")]
    public void A_tcp_listen_that_is_not_an_address_and_port_is_named_at_start(string listen)
    {
        using var dir = ProbeFixtures.NewDir();
        File.WriteAllText(dir["signer.json"], $$$"""{"tcp_listen": "{{{listen}}}", "policy": {"allowed_types": ["0"]}}""");

        var refused = Assert.Throws<InvalidDataException>(() => SignerConfig.Load(dir["signer.json"]));

        Assert.Contains("\"tcp_listen\" must be an address and port such as \"0.0.0.0:43123\"", refused.Message);
    }
}
