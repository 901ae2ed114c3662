using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// The storage shared by the sparse indexes: fixed-size entries appended to a file and mirrored in a growable array.
/// Entries are kept in the order appended; <see cref="Load"/> accepts a file only if every entry passes the caller's
/// ordering check. Single writer (the partition lock); readers see an entry only once it is complete, because the
/// count is published after the slot is written and a grown array is published before the count.
/// </summary>
internal sealed class IndexFile<T> : IDisposable
    where T : struct
{
    private readonly ILogFile _file;
    private readonly int _entrySize;
    private readonly Func<ReadOnlySpan<byte>, T> _decode;
    private readonly SpanAction _encode;
    private T[] _entries = new T[16];
    private int _count;

    public IndexFile(ILogFile file, int entrySize, Func<ReadOnlySpan<byte>, T> decode, SpanAction encode)
    {
        _file = file;
        _entrySize = entrySize;
        _decode = decode;
        _encode = encode;
    }

    public delegate void SpanAction(Span<byte> destination, T entry);

    public int Count => Volatile.Read(ref _count);

    /// <summary>The last entry, or null when empty.</summary>
    public T? Last => Count == 0 ? null : Volatile.Read(ref _entries)[Count - 1];

    /// <summary>
    /// Loads the file; <paramref name="follows"/>(entry, previous) says whether an entry may come after the previous
    /// one (null for the first). Returns false, leaving the index empty, on the first entry that may not, and false
    /// (keeping the whole entries) when the file ends in a torn entry.
    /// </summary>
    public bool Load(Func<T, T?, bool> follows)
    {
        var length = _file.Length;
        var bytes = new byte[length - (length % _entrySize)];
        _file.Read(0, bytes);
        T? previous = null;
        for (var i = 0; i < bytes.Length; i += _entrySize)
        {
            var entry = _decode(bytes.AsSpan(i, _entrySize));
            if (!follows(entry, previous))
            {
                Reset();
                return false;
            }
            AddInMemory(entry);
            previous = entry;
        }
        return length % _entrySize == 0;
    }

    public void Append(T entry)
    {
        Span<byte> bytes = stackalloc byte[_entrySize];
        _encode(bytes, entry);
        _file.Write((long)_count * _entrySize, bytes);
        AddInMemory(entry);
    }

    /// <summary>Index of the last entry for which <paramref name="atOrBelow"/> holds (entries are sorted by it), or -1.</summary>
    public int Floor(Func<T, bool> atOrBelow, out T entry)
    {
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = Math.Min(Count, entries.Length) - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (atOrBelow(entries[mid]))
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        entry = found >= 0 ? entries[found] : default;
        return found;
    }

    /// <summary>Keeps the leading entries for which <paramref name="keep"/> holds and cuts the rest from the file.</summary>
    public void KeepWhile(Func<T, bool> keep)
    {
        var kept = 0;
        while (kept < _count && keep(_entries[kept]))
        {
            kept++;
        }
        _count = kept;
        _file.SetLength((long)kept * _entrySize);
    }

    public void Reset()
    {
        _count = 0;
        _file.SetLength(0);
    }

    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();

    private void AddInMemory(T entry)
    {
        if (_count == _entries.Length)
        {
            var grown = new T[_entries.Length * 2];
            Array.Copy(_entries, grown, _count);
            Volatile.Write(ref _entries, grown);
        }
        _entries[_count] = entry;
        Volatile.Write(ref _count, _count + 1);
    }
}
