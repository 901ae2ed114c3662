namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "fwd")
    {
        Path = Directory.CreateTempSubdirectory($"edgestream-{prefix}-").FullName;
    }

    public string Path { get; }

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
