using System.Collections.Concurrent;
using EdgeStream.Log.Storage;

namespace EdgeStream.TestKit;

/// <summary>
/// The real file system with faults on demand, as an SD card produces them: failed writes, short (torn) writes,
/// fsync failures and a full volume; it also counts reads and bytes read from segment files. In power-cut mode (made by
/// <see cref="PowerCutDisk.NewProcess"/>) it is one process's view of a disk that loses unsynced data at a power cut.
/// </summary>
internal sealed partial class FaultyStorage : ILogStorage
{
    private readonly ILogStorage _inner = FileLogStorage.Instance;
    private readonly PowerCutDisk? _disk;
    private readonly int _generation;
    private long _segmentBytesRead;
    private long _segmentReads;
    private int _segmentAllocations;

    public FaultyStorage()
    {
    }

    internal FaultyStorage(PowerCutDisk disk, int generation)
    {
        _disk = disk;
        _generation = generation;
    }

    /// <summary>
    /// Next write of data to a .log file throws after writing this many bytes (0 = nothing written); null = no fault.
    /// Zero fill (<see cref="EdgeStream.Log.LogOptions.SegmentZeroFill"/>) is passed over: its failure costs only speed.
    /// </summary>
    public int? FailNextSegmentWriteAfter { get; set; }

    /// <summary>Every fsync of a .log file throws while set.</summary>
    public bool FailFlush { get; set; }

    /// <summary>Called with the file's path before every fsync of a file (on the fsyncing thread); may block it.</summary>
    public Action<string>? BeforeFlush { get; set; }

    /// <summary>Called with the file's path before every write of a .log file (on the writing thread); may block it.</summary>
    public Action<string>? BeforeSegmentWrite { get; set; }

    /// <summary>While set, every write of a .log file is added here: its position, its length and whether it was all zeros.</summary>
    public ConcurrentQueue<(long Position, int Length, bool Zeros)>? SegmentWrites { get; set; }

    /// <summary>Called with the directory's path before every directory fsync; may block it (or kill the process).</summary>
    public Action<string>? BeforeSyncDirectory { get; set; }

    /// <summary>Free space the volume reports; null = the real value.</summary>
    public long? FreeBytes { get; set; }

    /// <summary>Allocation steps taken by .log files.</summary>
    public int SegmentAllocations => Volatile.Read(ref _segmentAllocations);

    public long SegmentBytesRead => Interlocked.Read(ref _segmentBytesRead);

    /// <summary>Positional reads of .log files.</summary>
    public long SegmentReads => Interlocked.Read(ref _segmentReads);

    public ILogFile Open(string path, bool createIfMissing)
        => new FaultyFile(this, _disk?.Open(_generation, path, createIfMissing) ?? _inner.Open(path, createIfMissing));

    public bool FileExists(string path)
    {
        _disk?.Check(_generation);
        return _inner.FileExists(path);
    }

    public void DeleteFile(string path)
    {
        if (_disk is null)
        {
            _inner.DeleteFile(path);
        }
        else
        {
            _disk.Delete(_generation, path);
        }
    }

    public void Replace(string source, string destination)
    {
        if (_disk is null)
        {
            _inner.Replace(source, destination);
        }
        else
        {
            _disk.Replace(_generation, source, destination);
        }
    }

    public void CreateDirectory(string path)
    {
        if (_disk is null)
        {
            _inner.CreateDirectory(path);
        }
        else
        {
            _disk.CreateDirectory(_generation, path);
        }
    }

    public void SyncDirectory(string path)
    {
        BeforeSyncDirectory?.Invoke(path);
        if (_disk is null)
        {
            _inner.SyncDirectory(path);
        }
        else
        {
            _disk.SyncDirectory(_generation, path);
        }
    }

    public IEnumerable<string> Files(string directory, string pattern)
    {
        _disk?.Check(_generation);
        return _inner.Files(directory, pattern).ToList();
    }

    public IEnumerable<string> Directories(string directory)
    {
        _disk?.Check(_generation);
        return _inner.Directories(directory).ToList();
    }

    public (long Free, long Total) Space(string path)
    {
        var (free, total) = _inner.Space(path);
        return (FreeBytes ?? free, total);
    }

    private sealed class FaultyFile(FaultyStorage owner, ILogFile inner) : ILogFile
    {
        private readonly bool _isSegment = inner.Path.EndsWith(".log", StringComparison.Ordinal);
        private long _allocated;

        public string Path => inner.Path;

        public long Length => inner.Length;

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            var zeros = !data.ContainsAnyExcept((byte)0);
            if (_isSegment)
            {
                owner.BeforeSegmentWrite?.Invoke(inner.Path);
                owner.SegmentWrites?.Enqueue((position, data.Length, zeros));
            }
            if (_isSegment && owner.FailNextSegmentWriteAfter is { } after && !zeros)
            {
                owner.FailNextSegmentWriteAfter = null;
                inner.Write(position, data[..Math.Min(after, data.Length)]);
                throw new IOException("Injected write failure (Input/output error).");
            }
            if (_isSegment && position + data.Length > Volatile.Read(ref _allocated))
            {
                // Blocks reserved by Allocate are written even on a full volume.
                owner.FailIfVolumeFull(inner, position, data);
            }
            inner.Write(position, data);
        }

        public int Read(long position, Span<byte> buffer)
        {
            var n = inner.Read(position, buffer);
            if (_isSegment)
            {
                Interlocked.Add(ref owner._segmentBytesRead, n);
                Interlocked.Increment(ref owner._segmentReads);
            }
            return n;
        }

        public void Flush()
        {
            if (_isSegment && owner.FailFlush)
            {
                throw new IOException("Injected fsync failure (Input/output error).");
            }
            owner.BeforeFlush?.Invoke(inner.Path);
            inner.Flush();
        }

        public void SetLength(long length) => inner.SetLength(length);

        public void Allocate(long length)
        {
            if (_isSegment && owner.VolumeFull)
            {
                // A full volume refuses the allocation as it refuses a write (fallocate fails with ENOSPC).
                throw new IOException($"No space left on device : '{inner.Path}'", 28);
            }
            inner.Allocate(length);
            if (_isSegment)
            {
                Interlocked.Increment(ref owner._segmentAllocations);
            }
            if (length > _allocated)
            {
                Volatile.Write(ref _allocated, length);
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
