using System.Runtime.InteropServices;

namespace Datacrumbs.Signer;

/// <summary>What munged vouches for in a valid credential: who made it, and the payload it carries.</summary>
public sealed record MungeIdentity(uint Uid, uint Gid, byte[] Payload);

/// <summary>
/// Decodes munge credentials with the real libmunge (Debian's libmunge2), asking munged on this host.
/// The library, not the <c>unmunge</c> program: one call to munged a request instead of a fork and
/// exec per anonymous TCP connection (a flood of bad credentials would otherwise be a flood of
/// processes), and munge's own error number instead of text parsed from another program's output.
/// munged itself refuses a credential made with another key, expired, or already decoded once
/// (replayed), so a captured credential is good for nothing after its one request.
/// </summary>
public static partial class MungeCredentials
{
    private const string Library = "libmunge.so.2";
    /// <summary>munge_opt_t MUNGE_OPT_SOCKET (munge.h, 0.5.x).</summary>
    private const int OptSocket = 8;
    /// <summary>A credential with a 64-byte payload is about 180 characters; anything far longer is not one.</summary>
    public const int MaxCredentialChars = 4096;

    /// <summary>munge_err_t (munge.h, 0.5.x): the ones the signer tells apart.</summary>
    public enum MungeError
    {
        Success = 0,
        Socket = 6,
        BadCredential = 8,
        BadVersion = 9,
        BadCipher = 10,
        BadMac = 11,
        BadZip = 12,
        BadRealm = 13,
        Invalid = 14,
        Expired = 15,
        Rewound = 16,
        Replayed = 17,
        Unauthorized = 18,
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the package when libmunge cannot be loaded (checked at start).</summary>
    public static void EnsureLoaded()
    {
        try { _ = munge_strerror(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidDataException($"tcp_listen needs libmunge ({Library}), which cannot be loaded ({e.Message}); install Debian's munge and libmunge2 packages", e);
        }
    }

    /// <summary>
    /// Asks munged (at <paramref name="socket"/>, or libmunge's default when null) whether
    /// <paramref name="credential"/> is valid. On failure, the error and munge's own words for it.
    /// </summary>
    public static (MungeIdentity? Identity, MungeError Error, string Message) Decode(string credential, string? socket)
    {
        if (credential.Length is 0 or > MaxCredentialChars || credential.Any(c => c is < ' ' or > '~'))
            return (null, MungeError.BadCredential, "Invalid credential format (not a munge credential: printable ASCII of at most 4096 characters)");
        var context = IntPtr.Zero;
        var payload = IntPtr.Zero;
        try
        {
            if (socket is not null)
            {
                context = munge_ctx_create();
                if (context == IntPtr.Zero) return (null, (MungeError)5, "out of memory for a munge context");
                var set = munge_ctx_set(context, OptSocket, socket);
                if (set != 0) return (null, (MungeError)set, $"cannot use munged socket {socket}: {Describe(set, IntPtr.Zero)}");
            }
            var rc = munge_decode(credential, context, out payload, out var length, out var uid, out var gid);
            if (rc != 0) return (null, (MungeError)rc, Describe(rc, context));
            var bytes = new byte[length];
            if (length > 0) Marshal.Copy(payload, bytes, 0, length);
            return (new MungeIdentity(uid, gid, bytes), MungeError.Success, "Success");
        }
        finally
        {
            // munge.h: the payload is allocated even for some failures (expired, rewound, replayed).
            if (payload != IntPtr.Zero) free(payload);
            if (context != IntPtr.Zero) munge_ctx_destroy(context);
        }
    }

    /// <summary>munge's message for <paramref name="rc"/>: the context's (more detailed) when it has one.</summary>
    private static string Describe(int rc, IntPtr context)
    {
        var detailed = context == IntPtr.Zero ? IntPtr.Zero : munge_ctx_strerror(context);
        return Marshal.PtrToStringUTF8(detailed != IntPtr.Zero ? detailed : munge_strerror(rc)) ?? $"munge error {rc}";
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int munge_decode(string credential, IntPtr context, out IntPtr payload, out int length, out uint uid, out uint gid);

    [LibraryImport(Library)]
    private static partial IntPtr munge_ctx_create();

    [LibraryImport(Library)]
    private static partial void munge_ctx_destroy(IntPtr context);

    /// <summary>
    /// munge_ctx_set is variadic in C; .NET cannot declare a variadic import on Linux, so it is declared
    /// with the one argument MUNGE_OPT_SOCKET takes (a string). On x86-64 and arm64 Linux a variadic
    /// pointer argument travels in the same register as a fixed one; the x86-64 callee only reads %al
    /// to decide whether to spill vector registers, which no string option uses.
    /// </summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int munge_ctx_set(IntPtr context, int option, string value);

    [LibraryImport(Library)]
    private static partial IntPtr munge_ctx_strerror(IntPtr context);

    [LibraryImport(Library)]
    private static partial IntPtr munge_strerror(int error);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);
}
