using System.Buffers.Binary;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Sparse offset index of one segment: <c>{baseOffset:D20}.index</c>, a sequence of 8-byte entries
/// (int32 offset relative to the segment's base, int32 byte position of that batch), little-endian, strictly
/// increasing in both fields. An entry is added every <c>IndexIntervalBytes</c> of log. No checksum: entries are
/// checked against the segment on load, and the index is rebuilt from the log when missing or inconsistent
/// (as Kafka does). Kept in memory too. Not thread-safe for writers (the partition lock serializes them);
/// lookups may run concurrently with an append because entries are published after they are complete.
/// </summary>
internal sealed class OffsetIndex : IDisposable
{
    private const int EntrySize = 8;
    private readonly ILogFile _file;
    private (int Relative, int Position)[] _entries = new (int, int)[16];
    private int _count;

    private OffsetIndex(ILogFile file) => _file = file;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Position of the last entry, or -1.</summary>
    public int LastPosition => Count == 0 ? -1 : Volatile.Read(ref _entries)[Count - 1].Position;

    public static OffsetIndex Open(ILogStorage storage, string path) => new(storage.Open(path, createIfMissing: true));

    /// <summary>Loads entries; returns false (leaving the index empty) if they are not consistent with a log of <paramref name="logSize"/> bytes.</summary>
    public bool Load(long logSize)
    {
        var length = _file.Length;
        var bytes = new byte[length - (length % EntrySize)];
        _file.Read(0, bytes);
        var previous = (Relative: -1, Position: -1);
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var e = (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i)), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i + 4)));
            if (e.Item1 <= previous.Relative || e.Item2 <= previous.Position || e.Item2 >= logSize)
            {
                Reset();
                return false;
            }
            AddInMemory(e.Item1, e.Item2);
            previous = e;
        }
        return length % EntrySize == 0;
    }

    public void Append(int relativeOffset, int position)
    {
        Span<byte> e = stackalloc byte[EntrySize];
        BinaryPrimitives.WriteInt32LittleEndian(e, relativeOffset);
        BinaryPrimitives.WriteInt32LittleEndian(e[4..], position);
        _file.Write((long)_count * EntrySize, e);
        AddInMemory(relativeOffset, position);
    }

    /// <summary>Byte position of the last indexed batch starting at or before <paramref name="relativeOffset"/> (0 if none).</summary>
    public int Lookup(long relativeOffset)
    {
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = Math.Min(Count, entries.Length) - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Relative <= relativeOffset)
            {
                found = entries[mid].Position;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>Drops entries at or past <paramref name="logSize"/> (a region recovery is about to rescan or has cut).</summary>
    public void TruncateToLog(long logSize)
    {
        var keep = 0;
        while (keep < _count && _entries[keep].Position < logSize)
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

    private void AddInMemory(int relative, int position)
    {
        if (_count == _entries.Length)
        {
            var grown = new (int, int)[_entries.Length * 2];
            Array.Copy(_entries, grown, _count);
            Volatile.Write(ref _entries, grown);
        }
        _entries[_count] = (relative, position);
        Volatile.Write(ref _count, _count + 1);
    }
}
