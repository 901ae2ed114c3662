namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>Finds the <c>edgestream.dll</c> to run: next to this program (a published layout), else the Host's own build output of the same configuration.</summary>
internal static class ServiceBinary
{
    public static string? Find()
    {
        var here = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        var local = Path.Combine(here, "edgestream.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(here, "edgestream.runtimeconfig.json")))
        {
            return local;
        }
        // …/bin/<Configuration>/<tfm>: the same configuration and framework of src/EdgeStream.Host, found from the repository root.
        var tfm = Path.GetFileName(here);
        var configuration = Path.GetFileName(Path.GetDirectoryName(here));
        for (var dir = Path.GetDirectoryName(here); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "EdgeStream.sln")))
            {
                var built = Path.Combine(dir, "src", "EdgeStream.Host", "bin", configuration ?? "Release", tfm, "edgestream.dll");
                return File.Exists(built) ? built : null;
            }
        }
        return null;
    }
}
