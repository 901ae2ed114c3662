using System.Buffers.Binary;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Sparse time index of one segment: <c>{baseOffset:D20}.timeindex</c>, 12-byte entries (int64 unix-ms timestamp,
/// int32 relative offset), little-endian. An entry (t, r) says the batch at relative offset r is where the segment's
/// running maximum timestamp reached t; so every batch before r holds only timestamps below t. Timestamps strictly
/// increase. The last entry of a sealed segment carries the segment's max timestamp (used by age retention).
/// Rebuilt from the log when missing or inconsistent. Threading as <see cref="IndexFile{T}"/>.
/// </summary>
internal sealed class TimeIndex : IDisposable
{
    private readonly IndexFile<(long Timestamp, int Relative)> _index;

    private TimeIndex(ILogFile file) => _index = new(file, 12,
        bytes => (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[8..])),
        (bytes, e) =>
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, e.Timestamp);
            BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], e.Relative);
        });

    public int Count => _index.Count;

    /// <summary>The largest timestamp indexed, or <see cref="long.MinValue"/>.</summary>
    public long MaxTimestamp => _index.Last?.Timestamp ?? long.MinValue;

    public static TimeIndex Open(ILogStorage storage, string path) => new(storage.Open(path, createIfMissing: true));

    public bool Load(long maxRelativeOffset) => _index.Load((e, previous) =>
        e.Relative <= maxRelativeOffset && (previous is not { } p || (e.Timestamp > p.Timestamp && e.Relative >= p.Relative)));

    /// <summary>Adds an entry if <paramref name="timestamp"/> is newer than the last one.</summary>
    public void MaybeAppend(long timestamp, int relativeOffset)
    {
        if (timestamp > MaxTimestamp)
        {
            _index.Append((timestamp, relativeOffset));
        }
    }

    /// <summary>
    /// The relative offset from which to scan for the first record with timestamp &gt;= <paramref name="timestamp"/>:
    /// the offset of the last entry whose timestamp is below it (0 if none).
    /// </summary>
    public int Lookup(long timestamp) => _index.Floor(e => e.Timestamp < timestamp, out var e) >= 0 ? e.Relative : 0;

    /// <summary>Drops entries at or past <paramref name="relativeOffset"/> (a region recovery is about to rescan).</summary>
    public void TruncateFrom(long relativeOffset) => _index.KeepWhile(e => e.Relative < relativeOffset);

    public void Reset() => _index.Reset();

    public void Flush() => _index.Flush();

    public void Dispose() => _index.Dispose();
}
