using System.Globalization;
using System.Text;

namespace Datacrumbs.Messages.Text;

/// <summary>
/// Text that came from outside (a job id, a path, a URI, a probe document's field) on its way
/// into an error message or a log line: shown, never trusted to be harmless.
/// </summary>
public static class UntrustedText
{
    private const int MaxShownLength = 64; // enough to recognise the text; bounds the work on hostile input

    /// <summary>Hostile text goes into error messages and logs: show control characters and lone surrogates escaped.</summary>
    public static string Printable(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxShownLength) + 8);
        var shown = text.Length > MaxShownLength ? text[..MaxShownLength] : text;
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1])) sb.Append(c).Append(shown[++i]);
            // A lone surrogate cannot be written as UTF-8: logs would show U+FFFD and lose it.
            else if (char.IsSurrogate(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        if (text.Length > MaxShownLength) sb.Append("...");
        return sb.ToString();
    }
}
