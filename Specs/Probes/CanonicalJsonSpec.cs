using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Datacrumbs.Messages.Probes;

namespace Datacrumbs.Specs.Probes;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CanonicalJsonSpec
{
    private static readonly Gen<string> Text = Gen.Char['\0', '\u07ff'].Array[0, 6].Select(c => new string(c));

    private static Gen<JsonNode?> Value(int depth)
    {
        var leaf = Gen.OneOf<JsonNode?>(
            Gen.Long.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.ULong.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Bool.Select(v => (JsonNode?)JsonValue.Create(v)),
            Text.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Const(() => (JsonNode?)null));
        if (depth == 0) return leaf;
        var array = Value(depth - 1).List[0, 4].Select(items => (JsonNode?)new JsonArray(items.ToArray()));
        var obj = Gen.Select(Text, Value(depth - 1)).List[0, 4].Select(members =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in members) o[k] = v; // a repeated key keeps the last value
            return (JsonNode?)o;
        });
        return Gen.OneOf(leaf, array, obj);
    }

    /// <summary>Same data, written differently: members in reverse order, indented, every non-ASCII char escaped.</summary>
    private static byte[] Rewrite(JsonNode? node)
    {
        static JsonNode? Reverse(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.Reverse().Select(kv => KeyValuePair.Create(kv.Key, Reverse(kv.Value?.DeepClone())))),
            JsonArray a => new JsonArray(a.Select(x => Reverse(x?.DeepClone())).ToArray()),
            _ => n?.DeepClone(),
        };
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default };
        return Encoding.UTF8.GetBytes(Reverse(node)?.ToJsonString(options) ?? "null");
    }

    [Fact]
    public void Canonical_form_is_independent_of_member_order_whitespace_and_escapes_and_round_trips()
    {
        Value(3).Sample(node =>
        {
            var plain = Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");
            var canonical = CanonicalJson.Canonicalize(plain);
            Assert.Equal(canonical, CanonicalJson.Canonicalize(Rewrite(node)));
            Assert.Equal(canonical, CanonicalJson.Canonicalize(canonical)); // a fixed point
            Assert.True(JsonNode.DeepEquals(node, JsonNode.Parse(canonical))); // nothing lost
        }, iter: 300);
    }

    [Fact]
    public void Canonical_form_is_exactly_as_documented()
    {
        var input = "{ \"b\": [1, -2, true, null], \"a\": \"\\u0041\\n\\u0001\\\"\\\\é\u2028\", \"B\": {} }"u8;
        Assert.Equal("{\"B\":{},\"a\":\"A\\n\\u0001\\\"\\\\é\u2028\",\"b\":[1,-2,true,null]}", Encoding.UTF8.GetString(CanonicalJson.Canonicalize(input)));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "appears more than once")]
    [InlineData("[1.5]", "only integers")]
    [InlineData("[1e3]", "only integers")]
    [InlineData("[-0]", "only integers")]
    [InlineData("[123456789012345678901234]", "only integers")]
    [InlineData("[\"\\ud800\"]", "UTF-16")]
    public void What_has_no_canonical_form_is_refused_with_the_reason(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, e.Message);
    }
}
