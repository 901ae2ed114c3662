namespace EdgeStream.TestKit;

/// <summary>Paths in the repository (the directory holding EdgeStream.sln), found from the test's output directory.</summary>
public static class Repo
{
    /// <summary>The repository root.</summary>
    public static string Root { get; } = Find();

    /// <summary>The <c>deploy/</c> directory (unit file, install script, example configs).</summary>
    public static string Deploy => System.IO.Path.Combine(Root, "deploy");

    /// <summary>A path below the root, e.g. <c>Repo.Path("docs", "events.md")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdgeStream.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("EdgeStream.sln not found above " + AppContext.BaseDirectory);
    }
}
