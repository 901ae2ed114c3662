using System.Buffers.Binary;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Sparse time index of one segment: <c>{baseOffset:D20}.timeindex</c>, 12-byte entries (int64 unix-ms timestamp,
/// int32 relative offset), little-endian. An entry (t, r) says the batch at relative offset r is where the segment's
/// running maximum timestamp reached t; so every batch before r holds only timestamps below t. Timestamps strictly
/// increase. The last entry of a sealed segment carries the segment's max timestamp (used by age retention).
/// Rebuilt from the log when missing or inconsistent. Same threading as <see cref="OffsetIndex"/>.
/// </summary>
internal sealed class TimeIndex : IDisposable
{
    private const int EntrySize = 12;
    private readonly ILogFile _file;
    private (long Timestamp, int Relative)[] _entries = new (long, int)[16];
    private int _count;

    private TimeIndex(ILogFile file) => _file = file;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The largest timestamp indexed, or <see cref="long.MinValue"/>.</summary>
    public long MaxTimestamp => Count == 0 ? long.MinValue : Volatile.Read(ref _entries)[Count - 1].Timestamp;

    public static TimeIndex Open(ILogStorage storage, string path) => new(storage.Open(path, createIfMissing: true));

    public bool Load(long maxRelativeOffset)
    {
        var length = _file.Length;
        var bytes = new byte[length - (length % EntrySize)];
        _file.Read(0, bytes);
        var previous = (Timestamp: long.MinValue, Relative: -1);
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var e = (BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i)), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i + 8)));
            if (e.Item1 <= previous.Timestamp || e.Item2 < previous.Relative || e.Item2 > maxRelativeOffset)
            {
                Reset();
                return false;
            }
            AddInMemory(e.Item1, e.Item2);
            previous = e;
        }
        return length % EntrySize == 0;
    }

    /// <summary>Adds an entry if <paramref name="timestamp"/> is newer than the last one.</summary>
    public void MaybeAppend(long timestamp, int relativeOffset)
    {
        if (timestamp <= MaxTimestamp)
        {
            return;
        }
        Span<byte> e = stackalloc byte[EntrySize];
        BinaryPrimitives.WriteInt64LittleEndian(e, timestamp);
        BinaryPrimitives.WriteInt32LittleEndian(e[8..], relativeOffset);
        _file.Write((long)_count * EntrySize, e);
        AddInMemory(timestamp, relativeOffset);
    }

    /// <summary>
    /// The relative offset from which to scan for the first record with timestamp &gt;= <paramref name="timestamp"/>:
    /// the offset of the last entry whose timestamp is below it (0 if none).
    /// </summary>
    public int Lookup(long timestamp)
    {
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = Math.Min(Count, entries.Length) - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Timestamp < timestamp)
            {
                found = entries[mid].Relative;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>Drops entries at or past <paramref name="relativeOffset"/> (a region recovery is about to rescan).</summary>
    public void TruncateFrom(long relativeOffset)
    {
        var keep = 0;
        while (keep < _count && _entries[keep].Relative < relativeOffset)
        {
            keep++;
        }
        _count = keep;
        _file.SetLength((long)keep * EntrySize);
    }

    public void Reset()
    {
        _count = 0;
        _file.SetLength(0);
    }

    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();

    private void AddInMemory(long timestamp, int relative)
    {
        if (_count == _entries.Length)
        {
            var grown = new (long, int)[_entries.Length * 2];
            Array.Copy(_entries, grown, _count);
            Volatile.Write(ref _entries, grown);
        }
        _entries[_count] = (timestamp, relative);
        Volatile.Write(ref _count, _count + 1);
    }
}
