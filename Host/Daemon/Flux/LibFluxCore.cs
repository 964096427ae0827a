using System.Runtime.InteropServices;
using System.Text;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// The few calls of Flux's own C library (libflux-core) the daemon uses to read a jobspec:
/// open a handle, one RPC, wait for it (bounded), read the answer. Loaded at run time from the
/// Flux install the configured flux command belongs to (<c>/opt/flux/bin/flux</c> ->
/// <c>/opt/flux/lib/libflux-core.so.2</c>), or from the loader's search path for a bare <c>flux</c>; absent, the daemon
/// runs <c>flux job info</c> instead (<see cref="FluxJobspecSources"/>).
/// </summary>
internal sealed unsafe class LibFluxCore
{
    public const string LibraryName = "libflux-core.so.2";
    /// <summary>FLUX_NODEID_ANY: the broker routes the request to whichever rank serves the topic.</summary>
    public const uint AnyNode = 0xFFFFFFFF;

    private readonly delegate* unmanaged<byte*, int, byte*, nint> _openEx;
    private readonly delegate* unmanaged<nint, void> _close;
    private readonly delegate* unmanaged<nint, byte*, byte*, uint, int, nint> _rpc;
    private readonly delegate* unmanaged<nint, byte**, int> _rpcGet;
    private readonly delegate* unmanaged<nint, double, int> _waitFor;
    private readonly delegate* unmanaged<nint, void> _destroy;
    private readonly delegate* unmanaged<nint, byte*> _errorString;

    public string Path { get; }

    private LibFluxCore(string path, nint lib)
    {
        Path = path;
        _openEx = (delegate* unmanaged<byte*, int, byte*, nint>)NativeLibrary.GetExport(lib, "flux_open_ex");
        _close = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "flux_close");
        _rpc = (delegate* unmanaged<nint, byte*, byte*, uint, int, nint>)NativeLibrary.GetExport(lib, "flux_rpc");
        _rpcGet = (delegate* unmanaged<nint, byte**, int>)NativeLibrary.GetExport(lib, "flux_rpc_get");
        _waitFor = (delegate* unmanaged<nint, double, int>)NativeLibrary.GetExport(lib, "flux_future_wait_for");
        _destroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "flux_future_destroy");
        _errorString = (delegate* unmanaged<nint, byte*>)NativeLibrary.GetExport(lib, "flux_future_error_string");
    }

    /// <summary>The library beside <paramref name="fluxCommand"/>'s install, else the loader's; null when neither loads (the reason in <paramref name="why"/>).</summary>
    public static LibFluxCore? TryLoad(string fluxCommand, out string why)
    {
        // A flux command given as a path names its install: only that install's library will do
        // (a different Flux, or none: a stand-in command, as the specs use, is run as a command).
        var candidates = new List<string>();
        if (!System.IO.Path.IsPathRooted(fluxCommand)) candidates.Add(LibraryName);
        else if (System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(fluxCommand)) is { } prefix)
            candidates.Add(System.IO.Path.Combine(prefix, "lib", LibraryName));
        foreach (var candidate in candidates)
        {
            if (candidate.Contains('/') && !File.Exists(candidate)) continue;
            if (!NativeLibrary.TryLoad(candidate, out var lib)) continue;
            try
            {
                why = "";
                return new LibFluxCore(candidate, lib);
            }
            catch (EntryPointNotFoundException e)
            {
                why = $"{candidate} lacks {e.Message}";
                return null;
            }
        }
        why = $"{LibraryName} not found ({string.Join(", ", candidates)})";
        return null;
    }

    /// <summary>A handle on the broker at <paramref name="uri"/>, as the calling thread's effective uid; throws with Flux's reason.</summary>
    public nint Open(string uri)
    {
        var error = stackalloc byte[160]; // flux_error_t: char text[160]
        error[0] = 0;
        nint h;
        fixed (byte* u = Utf8(uri)) h = _openEx(u, 0, error);
        if (h == 0)
        {
            var errno = Marshal.GetLastSystemError();
            var text = Marshal.PtrToStringUTF8((nint)error);
            throw new IOException(string.IsNullOrEmpty(text) ? Marshal.GetPInvokeErrorMessage(errno) : text);
        }
        return h;
    }

    public void Close(nint handle) => _close(handle);

    /// <summary>
    /// One request and its answer's JSON text, waiting at most <paramref name="timeout"/>. Throws
    /// <see cref="FluxRpcException"/> with Flux's reason (errno and text) when the service refuses.
    /// </summary>
    public string Rpc(nint handle, string topic, string payload, TimeSpan timeout)
    {
        nint f;
        fixed (byte* t = Utf8(topic))
        fixed (byte* p = Utf8(payload))
            f = _rpc(handle, t, p, AnyNode, 0);
        if (f == 0) throw new FluxRpcException(Marshal.GetLastSystemError(), $"cannot send {topic}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}", connectionLost: true);
        try
        {
            if (_waitFor(f, timeout.TotalSeconds) < 0)
            {
                var errno = Marshal.GetLastSystemError();
                throw new FluxRpcException(errno, $"no answer to {topic} within {timeout.TotalSeconds:0} s", connectionLost: true);
            }
            byte* s = null;
            if (_rpcGet(f, &s) < 0)
            {
                var errno = Marshal.GetLastSystemError();
                var text = Marshal.PtrToStringUTF8((nint)_errorString(f));
                throw new FluxRpcException(errno, string.IsNullOrEmpty(text) ? Marshal.GetPInvokeErrorMessage(errno) : text, connectionLost: false);
            }
            return s is null ? "" : Marshal.PtrToStringUTF8((nint)s) ?? "";
        }
        finally
        {
            _destroy(f);
        }
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");
}

/// <summary>A Flux RPC that failed; <see cref="ConnectionLost"/> when the handle itself may be broken (reopen it).</summary>
internal sealed class FluxRpcException(int errno, string message, bool connectionLost) : IOException(message)
{
    public int Errno { get; } = errno;
    public bool ConnectionLost { get; } = connectionLost;
}
