using System.Globalization;
using System.Text;
using CsCheck;

namespace Datacrumbs.Specs.Probes.JsonC;

/// <summary>
/// Generated JSON text on one line, written the many ways JSON allows: members in any order and
/// repeated, strings with '/', quotes, control characters, DEL, non-ASCII and astral characters, each
/// character raw or \u-escaped (surrogate pairs too), integers from -0 to beyond uint64, doubles in
/// several spellings, whitespace between tokens, nesting.
/// </summary>
public static class JsonDocuments
{
    private static readonly string[] Names = ["a", "b", "name", "type", "functions", "summary", "é", "x/y", ""];

    private static readonly Gen<string> Space = Gen.OneOf("", "", "", " ", "\t", "  ");

    private static readonly Gen<int> Character = Gen.Frequency(
        (8, Gen.Int['a', 'z']),
        (2, Gen.OneOf((int)'/', '"', '\\', ' ', '0', '~', 0x7f)),
        (2, Gen.Int[0, 0x1f]),
        (2, Gen.OneOf(0xe9, 0x2028, 0x2029, 0x4e2d, 0xfeff, 0xfffd, 0x1f600, 0x10ffff)),
        (1, Gen.Int[0x80, 0xd7ff]));

    /// <summary>A string literal: each character raw where JSON allows it, or escaped in one of its forms.</summary>
    public static readonly Gen<string> StringLiteral = Gen.Select(Character, Gen.Int[0, 3]).Array[0, 12].Select(chars =>
    {
        var text = new StringBuilder("\"");
        foreach (var (c, how) in chars)
        {
            var mustEscape = c < 0x20 || c == '"' || c == '\\';
            if (!mustEscape && how < 2) text.Append(char.ConvertFromUtf32(c));
            else if (how == 2 && c is '"' or '\\' or '/' or '\b' or '\f' or '\n' or '\r' or '\t')
                text.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '/' => "\\/", '\b' => "\\b", '\f' => "\\f", '\n' => "\\n", '\r' => "\\r", _ => "\\t" });
            else
                foreach (var unit in char.ConvertFromUtf32(c))
                    text.Append(how == 3 ? $"\\u{(int)unit:X4}" : $"\\u{(int)unit:x4}");
        }
        return text.Append('"').ToString();
    });

    public static readonly Gen<string> Number = Gen.OneOf(
        Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.ULong.Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Int[-1000, 1000].Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.OneOf("-0", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-99999999999999999999999"),
        Gen.OneOf("1.50", "1e3", "1E3", "-0.0", "0.1e-5", "1E+2", "2.5e-308", "1e999", "-1e999", "3.14159265358979323846264338327950288"),
        Gen.Select(Gen.Int[-99999, 99999], Gen.Int[0, 999]).Select((i, f) => $"{i}.{f}"));

    public static readonly Gen<string> Scalar = Gen.Frequency(
        (4, StringLiteral), (3, Number), (1, Gen.OneOf("true", "false", "null")));

    public static Gen<string> Value(int depth) => depth == 0 ? Scalar : Gen.Frequency(
        (4, Scalar), (1, Object(depth - 1)), (1, Array(depth - 1)));

    public static Gen<string> Array(int depth) =>
        Gen.Select(Value(depth), Space, Space).Array[0, 5].Select(items => "[" + string.Join(",", items.Select(i => i.Item2 + i.Item1 + i.Item3)) + "]");

    /// <summary>Names come from a small pool, so members repeat (json-c: last value, first place) and are in no order.</summary>
    public static Gen<string> Object(int depth) =>
        Gen.Select(Gen.OneOf(Gen.OneOf(Names).Select(Quote), StringLiteral), Value(depth), Space, Space).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => $"{m.Item3}{m.Item1}{m.Item4}:{m.Item3}{m.Item2}")) + "}");

    /// <summary>A probe document's shape with arbitrary content: the members the runtime reads, in any order, plus others.</summary>
    public static readonly Gen<string> ProbeShaped = Gen.Select(Object(3), Array(3), Object(1), Gen.Int[0, 5]).Select((summary, categories, extra, order) =>
    {
        var members = new List<string> { $"\"summary\":{summary}", $"\"categories\":{categories}", "\"checksum_algorithm\":\"hmac-sha256\"", "\"checksum\":\"00\"", $"\"extra\":{extra}" };
        (members[0], members[order % 5]) = (members[order % 5], members[0]);
        return "{" + string.Join(",", members) + "}";
    });

    private static string Quote(string s) => "\"" + s + "\"";
}
