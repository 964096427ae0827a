using System.Globalization;
using System.Text;
using System.Text.Json;
using Datacrumbs.Actors.Ports;
using Datacrumbs.Daemon.Metadata;
using Datacrumbs.Daemon.Native;
using Datacrumbs.Daemon.Users;
using Datacrumbs.Messages.Jobs;
using Datacrumbs.Messages.Text;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Flux;

/// <summary>
/// The `flux` metadata source without a process: one <c>job-info.lookup</c> RPC through
/// libflux-core on a handle kept open per broker (the prolog's FLUX_URI) and instance owner, as
/// <c>flux job info ID jobspec</c> does it, minus the fork, the exec and the connection. A
/// multi-user instance admits its owner, not root: the handle is opened as the owner
/// (<see cref="ThreadCredentials"/>). A handle that breaks (broker restarted) is opened again
/// once. One request at a time per handle (a flux handle is not thread-safe); each bounded.
/// </summary>
/// <remarks>A prolog without FLUX_URI goes to <paramref name="withoutUri"/> (the flux command, which finds the system instance itself).</remarks>
internal sealed class FluxLibraryJobspecSource(LibFluxCore flux, UserDirectory users, IJobMetadataSource withoutUri,
    int maxJobspecBytes = FluxJobspecSource.DefaultMaxJobspecBytes) : IJobMetadataSource
{
    /// <summary>A backstop behind the lifecycle's own resolve timeout: a broker that never answers frees the handle.</summary>
    private static readonly TimeSpan RpcTimeout = TimeSpan.FromSeconds(30);

    private sealed class Handle
    {
        /// <summary>One request at a time: later prologs of the same broker wait here without holding a pool thread.</summary>
        public readonly SemaphoreSlim Turn = new(1, 1);
        public nint Value;
    }

    private readonly Dictionary<(string Uri, uint Owner), Handle> _handles = [];

    public async Task<JobMetadata> ResolveAsync(JobRequest request, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var job = request.Job;
        if (request.Origin?.Address is not { } uri) return await withoutUri.ResolveAsync(request, ct).ConfigureAwait(false);
        if (uri.Length == 0 || uri.Length > 4096 || uri.Any(char.IsControl))
            throw new JobMetadataException($"job {job}: the prolog's FLUX_URI is unusable: '{UntrustedText.Printable(uri)}'");
        // A prolog always gets its own broker's local:// socket; any other connector (ssh://) would run programs.
        if (!uri.StartsWith("local://", StringComparison.Ordinal))
            throw new JobMetadataException($"job {job}: the prolog's FLUX_URI is not a local broker socket (local://...): '{UntrustedText.Printable(uri)}'");
        var owner = request.Origin?.OwnerUid is { } o && o != 0 && Environment.IsPrivilegedProcess ? o : 0;
        Handle handle;
        lock (_handles)
        {
            if (!_handles.TryGetValue((uri, owner), out handle!)) _handles[(uri, owner)] = handle = new Handle();
        }
        // The turn is awaited, not locked: a burst of prologs on one broker holds no pool thread (Akka runs on them).
        await handle.Turn.WaitAsync(ct).ConfigureAwait(false);
        Task<byte[]> lookup;
        try { lookup = Task.Run(() => Lookup(handle, job, uri, owner), CancellationToken.None); }
        catch { handle.Turn.Release(); throw; }
        // The turn passes on when the blocking call ends (within RpcTimeout), even if this lifecycle stopped waiting.
        _ = lookup.ContinueWith(_ => handle.Turn.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var jobspec = await lookup.WaitAsync(ct).ConfigureAwait(false);
        return new JobMetadata(users.NameOf(request.Uid), JobspecTracing.Read(job, jobspec));
    }

    /// <summary>The lookup on the broker's handle, opened (or reopened once) as needed. Runs in the handle's turn.</summary>
    private byte[] Lookup(Handle handle, JobId job, string uri, uint owner)
    {
        var payload = $"{{\"id\":{job.Value.ToString(CultureInfo.InvariantCulture)},\"keys\":[\"jobspec\"],\"flags\":0}}";
        for (var attempt = 1; ; attempt++)
        {
            if (handle.Value == 0) handle.Value = Open(job, uri, owner);
            try
            {
                return JobspecOf(job, flux.Rpc(handle.Value, "job-info.lookup", payload, RpcTimeout));
            }
            catch (FluxRpcException e) when (e.ConnectionLost && attempt == 1)
            {
                flux.Close(handle.Value); // the broker went away (restart): one fresh handle
                handle.Value = 0;
            }
            catch (FluxRpcException e)
            {
                if (e.ConnectionLost) { flux.Close(handle.Value); handle.Value = 0; }
                throw new JobMetadataException($"job {job}: reading the jobspec from Flux ({UntrustedText.Printable(uri)}) failed: {UntrustedText.Printable(e.Message)}", e);
            }
        }
    }

    private nint Open(JobId job, string uri, uint owner)
    {
        try
        {
            // A broker that never accepts must not hold the handle's turn for ever; a handle opened too late is closed.
            if (owner == 0) return ThreadCredentials.OnOwnThread(() => flux.Open(uri), RpcTimeout, flux.Close, "flux-open");
            var gid = UnixAccounts.LookupUser(owner)?.Gid
                ?? throw new JobMetadataException($"job {job}: the Flux instance owner (uid {owner}) has no account on this node: cannot read the jobspec as the owner");
            return ThreadCredentials.RunAs(owner, gid, () => flux.Open(uri), RpcTimeout, flux.Close);
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            throw new JobMetadataException($"job {job}: cannot connect to Flux at '{UntrustedText.Printable(uri)}' to read the jobspec: {UntrustedText.Printable(e.Message)}", e);
        }
    }

    /// <summary>The answer's <c>jobspec</c>: the JSON text Flux stored at submission (a string), bounded.</summary>
    private byte[] JobspecOf(JobId job, string answer)
    {
        if (Encoding.UTF8.GetByteCount(answer) > maxJobspecBytes + 1024)
            throw new JobMetadataException($"job {job}: Flux's answer holds more than {maxJobspecBytes} bytes; jobspec not read");
        try
        {
            using var doc = JsonDocument.Parse(answer);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("jobspec", out var spec))
            {
                if (spec.ValueKind == JsonValueKind.String) return Encoding.UTF8.GetBytes(spec.GetString()!);
                if (spec.ValueKind == JsonValueKind.Object) return Encoding.UTF8.GetBytes(spec.GetRawText());
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new JobMetadataException($"job {job}: Flux's job-info.lookup answer is not JSON ({e.Message})", e);
        }
        throw new JobMetadataException($"job {job}: Flux's job-info.lookup answer has no jobspec");
    }
}
