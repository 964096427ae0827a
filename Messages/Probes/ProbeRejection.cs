namespace Datacrumbs.Messages.Probes;

/// <summary>Why a probes file was refused; the exception's message says it in words.</summary>
public enum ProbeRejection
{
    /// <summary>The path itself is unusable: relative, control characters, too long.</summary>
    BadPath,
    /// <summary>The job's user could not read the file (as that user, symlinks included).</summary>
    Unreadable,
    /// <summary>The file (as stored) is larger than the limit.</summary>
    TooLarge,
    /// <summary>Starts like gzip (1f 8b) but is not a readable gzip stream.</summary>
    NotGzip,
    /// <summary>Decompresses to more than the limit (a gzip bomb or an absurd document).</summary>
    DecompressedTooLarge,
    /// <summary>Not JSON, or not the runtime's shape (summary, categories, checksum_algorithm, checksum).</summary>
    Malformed,
    /// <summary>No checksum, or an algorithm other than hmac-sha256.</summary>
    NotSigned,
    /// <summary>The checksum does not match the content (tampered, or signed with another secret).</summary>
    BadSignature,
    /// <summary>Past its expiry (or issued implausibly far in the future).</summary>
    Expired,
    /// <summary>Bound to another user than the job's.</summary>
    WrongUser,
    /// <summary>Not bound to any user (no summary.uid: made by an older upstream signer), and the site does not accept that.</summary>
    Unbound,
}
