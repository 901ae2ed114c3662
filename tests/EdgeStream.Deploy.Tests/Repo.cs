namespace EdgeStream.Deploy.Tests;

/// <summary>Locates the repository (the directory holding EdgeStream.sln) from the test's output directory.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    public static string Deploy => Path.Combine(Root, "deploy");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeStream.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EdgeStream.sln not found above " + AppContext.BaseDirectory);
    }
}
