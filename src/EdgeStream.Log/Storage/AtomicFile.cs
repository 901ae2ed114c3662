namespace EdgeStream.Log.Storage;

/// <summary>
/// Replaces a small file atomically and durably: write <c>name.tmp</c>, fsync it, rename over the target, fsync the
/// directory. After a crash the target holds either the old or the new content, never a mix. Stateless.
/// </summary>
internal static class AtomicFile
{
    public static void Write(ILogStorage storage, string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var file = storage.Open(temp, createIfMissing: true))
        {
            file.SetLength(0);
            file.Write(0, content);
            file.Flush();
        }
        storage.Replace(temp, path);
        storage.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    public static byte[]? Read(ILogStorage storage, string path)
    {
        if (!storage.FileExists(path))
        {
            return null;
        }
        using var file = storage.Open(path, createIfMissing: false);
        var bytes = new byte[file.Length];
        return file.Read(0, bytes) == bytes.Length ? bytes : null;
    }
}
