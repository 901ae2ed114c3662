using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Retention;

/// <summary>
/// Tracks bytes used by the log and free space on its volume, and says whether an append of n bytes fits: under
/// <see cref="LogOptions.MaxDiskBytes"/> and leaving at least max(<see cref="LogOptions.MinFreeBytes"/>,
/// <see cref="LogOptions.MinFreePercent"/> of the volume) free, so the disk never fills to 100%. Free space is probed
/// at most once a second (or after 16 MiB written) to keep statvfs off the hot path. Thread-safe.
/// </summary>
internal sealed class DiskBudget
{
    private const long ProbeEveryBytes = 16L << 20;
    private readonly LogOptions _options;
    private readonly ILogStorage _storage;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly Lock _probeLock = new();
    private long _used;
    private long _free = long.MaxValue;
    private long _total;
    private long _probedAt = long.MinValue;
    private long _writtenSinceProbe;

    public DiskBudget(LogOptions options, ILogStorage storage, TimeProvider time, string directory)
    {
        _options = options;
        _storage = storage;
        _time = time;
        _directory = directory;
    }

    public long Used => Interlocked.Read(ref _used);

    public void Add(long bytes)
    {
        Interlocked.Add(ref _used, bytes);
        Interlocked.Add(ref _writtenSinceProbe, bytes);
    }

    public void Remove(long bytes) => Interlocked.Add(ref _used, -bytes);

    /// <summary>Null when <paramref name="bytes"/> more fit; otherwise which limit they would break.</summary>
    public string? Check(long bytes)
    {
        if (_options.MaxDiskBytes is { } max && Used + bytes > max)
        {
            return $"the log's disk budget of {max} bytes is used ({Used} bytes stored)";
        }
        var now = _time.GetTimestamp();
        var probedAt = Interlocked.Read(ref _probedAt);
        if (probedAt == long.MinValue
            || Interlocked.Read(ref _writtenSinceProbe) >= ProbeEveryBytes
            || _time.GetElapsedTime(probedAt, now) >= TimeSpan.FromSeconds(1))
        {
            Probe(now);
        }
        var floor = Math.Max(_options.MinFreeBytes, (long)(Interlocked.Read(ref _total) * _options.MinFreePercent / 100));
        var free = Interlocked.Read(ref _free) - Interlocked.Read(ref _writtenSinceProbe);
        return free - bytes < floor
            ? $"free space on the data volume would fall below {floor} bytes ({Math.Max(free, 0)} bytes free)"
            : null;
    }

    /// <summary>Forgets the cached free space (after deleting segments) so the next check probes.</summary>
    public void Invalidate() => Interlocked.Exchange(ref _probedAt, long.MinValue);

    private void Probe(long now)
    {
        lock (_probeLock)
        {
            var (free, total) = _storage.Space(_directory);
            Interlocked.Exchange(ref _free, free);
            Interlocked.Exchange(ref _total, total);
            Interlocked.Exchange(ref _writtenSinceProbe, 0);
            Interlocked.Exchange(ref _probedAt, now);
        }
    }
}
