using System.Buffers;
using EdgeStream.Log.Storage;

namespace EdgeStream.Ingest.Mqtt.Broker.Retained;

/// <summary>
/// The retained-message snapshot on disk: one file at a fixed path inside the data directory
/// (<see cref="RelativePath"/>; never a name derived from a topic), in <see cref="RetainedSnapshotFormat"/>.
/// <para>Write: <c>retained.snapshot.tmp</c> is written and fsynced, renamed over the snapshot, and the directory is
/// fsynced, so after a crash or power cut the file holds the previous or the new snapshot, never a mix.</para>
/// <para>Read: the records up to the first damaged one (checksum, truncation, trailing bytes); a damaged file can be
/// moved aside to <c>retained.snapshot.corrupt</c>, replacing an older one, so there is always at most one.</para>
/// Synchronous file work: callers run it off the broker's connection loops. Not thread-safe: one writer at a time.
/// </summary>
internal sealed class RetainedSnapshotFile
{
    /// <summary>Where the snapshot lives, relative to the data directory.</summary>
    public const string RelativePath = "mqtt/retained.snapshot";

    // Records are gathered and written in chunks of about this size: few system calls, bounded extra memory.
    private const int ChunkBytes = 256 * 1024;

    private readonly ILogStorage _storage;
    private readonly string _dataDirectory;
    private readonly string _directory;
    private bool _directoryDurable;

    public RetainedSnapshotFile(ILogStorage storage, string dataDirectory)
    {
        _storage = storage;
        _dataDirectory = dataDirectory;
        Path = System.IO.Path.Combine(dataDirectory, RelativePath);
        _directory = System.IO.Path.GetDirectoryName(Path)!;
    }

    /// <summary>The snapshot's full path.</summary>
    public string Path { get; }

    /// <summary>Where a damaged snapshot is kept.</summary>
    public string CorruptPath => Path + ".corrupt";

    /// <summary>
    /// Replaces the snapshot with <paramref name="records"/>, durably and atomically, and returns its size in bytes;
    /// throws on any I/O failure.
    /// </summary>
    public long Write(IReadOnlyList<RetainedRecord> records)
    {
        if (!_directoryDurable)
        {
            _storage.CreateDirectory(_directory);
            // The new directory is an entry of the data directory: without this a power cut could take it away.
            _storage.SyncDirectory(_dataDirectory);
            _directoryDurable = true;
        }
        var temp = Path + ".tmp";
        long position;
        try
        {
            using (var file = _storage.Open(temp, createIfMissing: true))
            {
                file.SetLength(0);
                var header = RetainedSnapshotFormat.Header(records.Count);
                file.Write(0, header);
                position = header.Length;
                var chunk = new ArrayBufferWriter<byte>(ChunkBytes);
                foreach (var record in records)
                {
                    RetainedSnapshotFormat.WriteRecord(chunk, record);
                    if (chunk.WrittenCount >= ChunkBytes)
                    {
                        file.Write(position, chunk.WrittenSpan);
                        position += chunk.WrittenCount;
                        chunk.ResetWrittenCount();
                    }
                }
                file.Write(position, chunk.WrittenSpan);
                position += chunk.WrittenCount;
                file.Flush();
            }
            _storage.Replace(temp, Path);
        }
        catch
        {
            TryDelete(temp); // a half-written temporary file on a full disk would only take more of it
            throw;
        }
        _storage.SyncDirectory(_directory);
        return position;
    }

    /// <summary>
    /// The snapshot's records in file order (newest first), up to the first damaged one; <c>Damage</c> says what was
    /// wrong, <c>null</c> for an intact file. No file: no records and no damage. Throws only when the file cannot be
    /// read at all (permissions, I/O error).
    /// </summary>
    public (List<RetainedRecord> Records, string? Damage, bool Exists) Read()
    {
        var records = new List<RetainedRecord>();
        if (!_storage.FileExists(Path))
        {
            return (records, null, false);
        }
        try
        {
            // A process killed between its rename and the directory's fsync left the entry in the page cache only: what
            // the broker now builds on must survive a power cut too.
            _storage.SyncDirectory(_directory);
        }
        catch (IOException)
        {
            // Not worth losing the retained messages over: the file is readable, and the next snapshot fsyncs again.
        }
        using var file = _storage.Open(Path, createIfMissing: false);
        var length = file.Length;
        var header = new byte[RetainedSnapshotFormat.HeaderLength];
        if (file.Read(0, header) < header.Length)
        {
            return (records, "shorter than its header", true);
        }
        uint count;
        try
        {
            count = RetainedSnapshotFormat.ReadHeader(header);
        }
        catch (InvalidDataException e)
        {
            return (records, e.Message, true);
        }
        long position = header.Length;
        var recordHeader = new byte[RetainedSnapshotFormat.RecordHeaderLength];
        byte[] body = [];
        for (var i = 0u; i < count; i++)
        {
            if (file.Read(position, recordHeader) < recordHeader.Length)
            {
                return (records, $"truncated after {records.Count} of {count} records", true);
            }
            var (bodyLength, crc) = RetainedSnapshotFormat.ReadRecordHeader(recordHeader);
            position += recordHeader.Length;
            // The length is checked against the file before anything is allocated for it.
            if (bodyLength > length - position || bodyLength > Array.MaxLength)
            {
                return (records, $"truncated after {records.Count} of {count} records", true);
            }
            if (body.Length < bodyLength)
            {
                body = new byte[bodyLength]; // reused: decoded records copy what they keep
            }
            var span = body.AsSpan(0, (int)bodyLength);
            if (file.Read(position, span) < span.Length)
            {
                return (records, $"truncated after {records.Count} of {count} records", true);
            }
            position += bodyLength;
            try
            {
                records.Add(RetainedSnapshotFormat.ReadRecord(span, crc));
            }
            catch (InvalidDataException e)
            {
                return (records, $"record {records.Count + 1} of {count}: {e.Message}", true);
            }
        }
        return (records, position == length ? null : $"{length - position} bytes after the last of {count} records", true);
    }

    /// <summary>Moves a damaged snapshot aside to <see cref="CorruptPath"/>, replacing an older one.</summary>
    public void Quarantine()
    {
        _storage.Replace(Path, CorruptPath);
        _storage.SyncDirectory(_directory);
    }

    private void TryDelete(string path)
    {
        try
        {
            if (_storage.FileExists(path))
            {
                _storage.DeleteFile(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
