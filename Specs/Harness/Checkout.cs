namespace Datacrumbs.Specs.Harness;

/// <summary>The source checkout these specs were built from: its deploy/ files are what they check.</summary>
public static class Checkout
{
    public static string Root { get; } = Find();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "deploy", "install.sh")))
                return dir.FullName;
        throw new InvalidOperationException("no checkout (deploy/install.sh) above " + AppContext.BaseDirectory);
    }
}
