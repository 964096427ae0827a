using System.Text;
using System.Text.RegularExpressions;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Messages.Text;

namespace Datacrumbs.Daemon.Files;

/// <summary>
/// The env file as systemd's <c>EnvironmentFile=</c> reads it: <c>KEY="value"</c> lines.
/// A root service reads this file, so values are refused rather than escaped when they could
/// change its meaning: control characters (a newline would inject another variable), and
/// <c>$</c> and backquote (systemd expands variables in environment files).
/// Double quotes and backslashes are escaped. The process backend parses the same format back.
/// </summary>
public static partial class EnvFileFormat
{
    public const int MaxValueLength = 4096;

    [GeneratedRegex("^[A-Z_][A-Z0-9_]{0,127}$")]
    private static partial Regex KeyPattern();

    public static string Render(TracerEnvironment environment)
    {
        var sb = new StringBuilder("# written by datacrumbsd; do not edit\n");
        foreach (var (key, value) in environment.Variables)
        {
            Check(key, value);
            sb.Append(key).Append("=\"");
            foreach (var c in value)
            {
                if (c is '"' or '\\') sb.Append('\\');
                sb.Append(c);
            }
            sb.Append("\"\n");
        }
        return sb.ToString();
    }

    /// <summary>Parses what <see cref="Render"/> wrote; throws <see cref="FormatException"/> on anything else.</summary>
    public static TracerEnvironment Parse(string text)
    {
        var variables = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.Length < eq + 3 || line[eq + 1] != '"' || line[^1] != '"')
                throw new FormatException($"line {lineNumber} is not KEY=\"value\"");
            var key = line[..eq];
            var value = new StringBuilder();
            var quoted = line.AsSpan(eq + 2, line.Length - eq - 3);
            for (var i = 0; i < quoted.Length; i++)
            {
                var c = quoted[i];
                if (c == '\\' && i + 1 < quoted.Length) c = quoted[++i];
                else if (c is '"' or '\\') throw new FormatException($"line {lineNumber}: unescaped {c}");
                value.Append(c);
            }
            Check(key, value.ToString());
            variables.Add(new(key, value.ToString()));
        }
        return new TracerEnvironment(variables);
    }

    private static void Check(string key, string value)
    {
        if (!KeyPattern().IsMatch(key))
            throw new ArgumentException($"'{UntrustedText.Printable(key)}' is not a valid environment variable name");
        if (value.Length > MaxValueLength)
            throw new ArgumentException($"{key} is {value.Length} characters long; the limit is {MaxValueLength}");
        foreach (var c in value)
        {
            if (char.IsControl(c))
                throw new ArgumentException($"{key} contains a control character (\\x{(int)c:x2}); refusing to write it into a root service's environment");
            if (c is '$' or '`')
                throw new ArgumentException($"{key} contains '{c}', which systemd would expand; refusing to write it");
        }
    }
}
