namespace EdgeStream.Ingest.Sensors.Tests.Support;

internal static class RepoPaths
{
    /// <summary>The repository root (the directory holding EdgeStream.sln).</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeStream.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("EdgeStream.sln not found above the test binaries.");
    }
}
