using System.IO.Compression;
using System.Text;

namespace Datacrumbs.Daemon.Demo;

/// <summary>A small probes document for the demo (the stand-in tracer only checks that it can read it).</summary>
public static class DemoProbes
{
    private const string Json = """[{"type":"syscalls","name":"sys","functions":["openat","read","write","close"]}]""";

    public static byte[] Gzip()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal)) gzip.Write(Encoding.UTF8.GetBytes(Json));
        return buffer.ToArray();
    }
}
