using System.Buffers.Binary;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Sparse offset index of one segment: <c>{baseOffset:D20}.index</c>, a sequence of 8-byte entries
/// (int32 offset relative to the segment's base, int32 byte position of that batch), little-endian, strictly
/// increasing in both fields. An entry is added every <c>IndexIntervalBytes</c> of log. No checksum: entries are
/// checked against the segment on load, and the index is rebuilt from the log when missing or inconsistent
/// (as Kafka does). Kept in memory too. Threading as <see cref="IndexFile{T}"/>.
/// </summary>
internal sealed class OffsetIndex : IDisposable
{
    private readonly IndexFile<(int Relative, int Position)> _index;

    private OffsetIndex(ILogFile file) => _index = new(file, 8,
        bytes => (BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..])),
        (bytes, e) =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes, e.Relative);
            BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], e.Position);
        });

    public int Count => _index.Count;

    /// <summary>Position of the last entry, or -1.</summary>
    public int LastPosition => _index.Last?.Position ?? -1;

    public static OffsetIndex Open(ILogStorage storage, string path) => new(storage.Open(path, createIfMissing: true));

    /// <summary>Loads entries; returns false (leaving the index empty) if they are not consistent with a log of <paramref name="logSize"/> bytes.</summary>
    public bool Load(long logSize) => _index.Load((e, previous) =>
        e.Position < logSize && (previous is not { } p || (e.Relative > p.Relative && e.Position > p.Position)));

    public void Append(int relativeOffset, int position) => _index.Append((relativeOffset, position));

    /// <summary>Byte position of the last indexed batch starting at or before <paramref name="relativeOffset"/> (0 if none).</summary>
    public int Lookup(long relativeOffset) => _index.Floor(e => e.Relative <= relativeOffset, out var e) >= 0 ? e.Position : 0;

    /// <summary>The last entry at or before <paramref name="relativeOffset"/> as (byte position, relative offset); (0, 0) if none.</summary>
    public (int Position, int Relative) Floor(long relativeOffset)
        => _index.Floor(e => e.Relative <= relativeOffset, out var e) >= 0 ? (e.Position, e.Relative) : (0, 0);

    /// <summary>Drops entries at or past <paramref name="logSize"/> (a region recovery is about to rescan or has cut).</summary>
    public void TruncateToLog(long logSize) => _index.KeepWhile(e => e.Position < logSize);

    public void Reset() => _index.Reset();

    public void Flush() => _index.Flush();

    public void Dispose() => _index.Dispose();
}
