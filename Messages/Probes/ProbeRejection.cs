namespace Datacrumbs.Messages.Probes;

/// <summary>Why a probes file was refused; the exception's message says it in words.</summary>
public enum ProbeRejection
{
    /// <summary>The path itself is unusable: relative, control characters, too long.</summary>
    BadPath,
    /// <summary>The job's user could not read the file (as that user, symlinks included).</summary>
    Unreadable,
    /// <summary>The file (compressed) is larger than the limit.</summary>
    TooLarge,
    /// <summary>Not a gzip file in the form datacrumbsctl writes, or corrupt gzip data.</summary>
    NotGzip,
    /// <summary>Decompresses to more than the limit (a gzip bomb or an absurd document).</summary>
    DecompressedTooLarge,
    /// <summary>Not JSON, not the envelope, or not representable in the canonical form.</summary>
    Malformed,
    /// <summary>No signature at all.</summary>
    NotSigned,
    /// <summary>A format version this build does not know.</summary>
    UnsupportedFormat,
    /// <summary>Signed with a key id that is not in the key file.</summary>
    UnknownKey,
    /// <summary>The signature does not match the content (tampered, or signed with another secret).</summary>
    BadSignature,
    /// <summary>Past its expiry (or issued implausibly far in the future).</summary>
    Expired,
    /// <summary>Signed for another user than the job's.</summary>
    WrongUser,
}
