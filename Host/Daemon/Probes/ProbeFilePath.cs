using System.Text;

namespace Datacrumbs.Daemon.Probes;

/// <summary>
/// The shape a probe file path must have before anything else looks at it: the same rules
/// the CLI plugin and its job-ingest validator apply. Whether the file exists and who may
/// read it is checked later, by probe admission, as the job's user.
/// </summary>
public static class ProbeFilePath
{
    /// <summary>Linux PATH_MAX, including the terminating NUL.</summary>
    public const int PathMax = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why <paramref name="path"/> is unusable ("is empty", ...), or null when its shape is fine.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0) return "is empty";
        foreach (var c in path)
        {
            // A newline would inject a variable into the root service's EnvironmentFile=.
            if (char.IsControl(c)) return $"contains a control character (\\x{(int)c:x2})";
        }
        int bytes;
        try { bytes = StrictUtf8.GetByteCount(path); }
        catch (EncoderFallbackException) { return "is not valid Unicode text (a lone surrogate)"; }
        if (path[0] != '/') return "is not an absolute path";
        if (bytes >= PathMax) return $"is longer than {PathMax - 1} bytes";
        return null;
    }
}
