namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>A fresh directory under the system temp directory, deleted (best effort) on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates <c>edgestream-{prefix}-XXXX</c> under the temp directory.</summary>
    public TempDir(string prefix = "test")
    {
        Path = Directory.CreateTempSubdirectory($"edgestream-{prefix}-").FullName;
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Deletes the directory and everything in it, ignoring failures.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
