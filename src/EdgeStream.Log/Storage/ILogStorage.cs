namespace EdgeStream.Log.Storage;

/// <summary>
/// The file system as the log uses it: small on purpose, so tests can inject failed writes, short writes,
/// fsync failures and a full disk (see the fault-injecting storage in the tests). Thread-safe.
/// </summary>
internal interface ILogStorage
{
    ILogFile Open(string path, bool createIfMissing);

    bool FileExists(string path);

    void DeleteFile(string path);

    /// <summary>Atomically replaces <paramref name="destination"/> with <paramref name="source"/> (rename).</summary>
    void Replace(string source, string destination);

    void CreateDirectory(string path);

    /// <summary>fsync a directory so that created, renamed and deleted entries in it are durable.</summary>
    void SyncDirectory(string path);

    IEnumerable<string> Files(string directory, string pattern);

    IEnumerable<string> Directories(string directory);

    /// <summary>Free bytes for this process on the volume holding <paramref name="path"/>, and the volume's size.</summary>
    (long Free, long Total) Space(string path);
}
