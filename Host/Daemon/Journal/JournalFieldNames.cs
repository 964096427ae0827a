using System.Text;

namespace Datacrumbs.Daemon.Journal;

/// <summary>
/// The rule that turns a Serilog property name into a journal field name. journald accepts
/// only <c>[A-Z0-9_]</c>, at most 64 characters, not starting with a digit or with <c>_</c>
/// (those are the journal's own trusted fields). The rule:
/// <list type="number">
/// <item><c>SourceContext</c> becomes <c>DATACRUMBS_SOURCE</c>.</item>
/// <item>Otherwise words are split where a lower-case letter or digit meets an upper-case
///   letter (<c>JobId</c> -> <c>Job Id</c>) and before the last capital of an acronym followed
///   by lower case (<c>HTTPServer</c> -> <c>HTTP Server</c>); every character other than an
///   ASCII letter or digit (dots, dashes, spaces, non-ASCII) separates words too.</item>
/// <item>Words are upper-cased and joined with one <c>_</c>; with no word left the name is
///   <c>PROPERTY</c>.</item>
/// <item>The result is prefixed with <c>DATACRUMBS_</c> and cut to 64 characters.</item>
/// </list>
/// So <c>JobId</c> -> <c>DATACRUMBS_JOB_ID</c>, <c>FailedState</c> -> <c>DATACRUMBS_FAILED_STATE</c>,
/// <c>ReadyMs</c> -> <c>DATACRUMBS_READY_MS</c>, <c>job.id</c> -> <c>DATACRUMBS_JOB_ID</c>.
/// Two properties that map to the same field both appear (journald keeps repeated fields).
/// </summary>
public static class JournalFieldNames
{
    public const string Prefix = "DATACRUMBS_";
    public const int MaxLength = 64;
    public const string SourceContextField = Prefix + "SOURCE";

    public static string ForProperty(string propertyName)
    {
        if (propertyName == "SourceContext") return SourceContextField;

        var name = new StringBuilder(Prefix, MaxLength + 8);
        var wordStart = name.Length;
        var pendingSeparator = false;
        for (var i = 0; i < propertyName.Length && name.Length < MaxLength; i++)
        {
            var c = propertyName[i];
            if (!char.IsAsciiLetterOrDigit(c))
            {
                pendingSeparator = name.Length > wordStart;
                continue;
            }
            if (char.IsAsciiLetterUpper(c) && i > 0 && name.Length > wordStart && StartsWord(propertyName, i))
                pendingSeparator = true;
            if (pendingSeparator)
            {
                name.Append('_');
                pendingSeparator = false;
                if (name.Length >= MaxLength) break;
            }
            name.Append(char.ToUpperInvariant(c));
        }
        if (name.Length == wordStart) name.Append("PROPERTY");
        if (name.Length > MaxLength) name.Length = MaxLength;
        return name.ToString();
    }

    /// <summary>Whether the capital at <paramref name="i"/> begins a word (camel-case boundary).</summary>
    private static bool StartsWord(string s, int i)
    {
        var before = s[i - 1];
        if (char.IsAsciiLetterLower(before) || char.IsAsciiDigit(before)) return true;
        // the last capital of an acronym, when lower case follows: HTTPServer -> HTTP_Server
        return char.IsAsciiLetterUpper(before) && i + 1 < s.Length && char.IsAsciiLetterLower(s[i + 1]);
    }

    /// <summary>journald's own validity rule for a field name a client may send.</summary>
    public static bool IsValid(string field) =>
        field.Length is > 0 and <= MaxLength
        && field[0] != '_' && !char.IsAsciiDigit(field[0])
        && field.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');
}
