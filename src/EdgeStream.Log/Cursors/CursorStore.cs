using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Cursors;

/// <summary>
/// Named cursors (consumer offsets), one small file per (cursor, topic, partition):
/// <c>cursors/{name}/{topic}/{partition}.cursor</c>, 12 bytes little-endian: int64 next offset, uint32 CRC32C of it.
/// Each commit replaces its file atomically (temp, fsync, rename, directory fsync), so after a crash a cursor holds
/// its last committed value. Cursor names follow the topic-name rules. Deletion removes the file (then fsyncs the
/// directory). The time of each cursor's last commit is kept in memory on the monotonic clock (a cursor loaded at
/// open counts as committed then), for idle expiry. Thread-safe; commits to one cursor are serialized, different
/// cursors commit in parallel.
/// </summary>
internal sealed class CursorStore
{
    private const string Suffix = ".cursor";
    private readonly ILogStorage _storage;
    private readonly string _root;
    private readonly ConcurrentDictionary<(string Name, string Topic, int Partition), long> _positions = new();
    private readonly ConcurrentDictionary<(string, string, int), SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<(string Name, string Topic, int Partition), long> _committedAt = new();
    private readonly TimeProvider _time;

    public CursorStore(ILogStorage storage, string root, TimeProvider time)
    {
        _storage = storage;
        _root = root;
        _time = time;
        storage.CreateDirectory(root);
        foreach (var nameDir in storage.Directories(root))
        {
            var name = Path.GetFileName(nameDir);
            if (!TopicName.IsValid(name, out _))
            {
                continue;
            }
            foreach (var topicDir in storage.Directories(nameDir))
            {
                var topic = Path.GetFileName(topicDir);
                foreach (var file in storage.Files(topicDir, "*" + Suffix))
                {
                    if (int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                        && Decode(AtomicFile.Read(storage, file)) is { } offset)
                    {
                        _positions[(name, topic, partition)] = offset;
                        _committedAt[(name, topic, partition)] = time.GetTimestamp();
                    }
                }
            }
        }
    }

    public long? Get(string name, string topic, int partition)
        => _positions.TryGetValue((name, topic, partition), out var offset) ? offset : null;

    public IReadOnlyList<CursorPosition> All()
        => [.. _positions.Select(p => new CursorPosition(p.Key.Name, p.Key.Topic, p.Key.Partition, p.Value))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)];

    /// <summary>The lowest committed position of any cursor on the partition, or null when none has committed.</summary>
    public long? Lowest(string topic, int partition) => LowestCursor(topic, partition)?.NextOffset;

    /// <summary>The cursor with the lowest position on the partition (ties: the first name), or null.</summary>
    public CursorPosition? LowestCursor(string topic, int partition)
    {
        CursorPosition? lowest = null;
        foreach (var (key, offset) in _positions)
        {
            if (key.Partition == partition && key.Topic == topic
                && (lowest is null || offset < lowest.NextOffset || (offset == lowest.NextOffset && string.CompareOrdinal(key.Name, lowest.Name) < 0)))
            {
                lowest = new CursorPosition(key.Name, key.Topic, key.Partition, offset);
            }
        }
        return lowest;
    }

    /// <summary>How long ago each cursor last committed (or the log opened, if later), by cursor.</summary>
    public IEnumerable<(CursorPosition Cursor, TimeSpan Idle)> IdleTimes()
    {
        foreach (var (key, offset) in _positions)
        {
            if (_committedAt.TryGetValue(key, out var at))
            {
                yield return (new CursorPosition(key.Name, key.Topic, key.Partition, offset), _time.GetElapsedTime(at));
            }
        }
    }

    /// <summary>
    /// Deletes cursor <paramref name="name"/> on every partition, on every partition of <paramref name="topic"/>, or on
    /// one partition. Returns the positions deleted (none when it did not exist).
    /// </summary>
    public async Task<IReadOnlyList<CursorPosition>> DeleteAsync(string name, string? topic, int? partition, CancellationToken cancellationToken)
    {
        var deleted = new List<CursorPosition>();
        var keys = _positions.Keys
            .Where(k => k.Name == name && (topic is null || k.Topic == topic) && (partition is null || k.Partition == partition))
            .ToList();
        foreach (var key in keys)
        {
            var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_positions.TryGetValue(key, out var offset))
                {
                    continue;
                }
                var directory = TopicName.DirectoryFor(TopicName.DirectoryFor(_root, key.Name), key.Topic);
                _storage.DeleteFile(Path.Combine(directory, key.Partition.ToString(CultureInfo.InvariantCulture) + Suffix));
                _storage.SyncDirectory(directory);
                _positions.TryRemove(key, out _);
                _committedAt.TryRemove(key, out _);
                deleted.Add(new CursorPosition(key.Name, key.Topic, key.Partition, offset));
            }
            finally
            {
                gate.Release();
            }
        }
        return deleted;
    }

    public async Task CommitAsync(string name, string topic, int partition, long nextOffset, CancellationToken cancellationToken)
    {
        if (!TopicName.IsValid(name, out var reason))
        {
            throw new ArgumentException($"Invalid cursor name: {reason}.", nameof(name));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(nextOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        var key = (name, topic, partition);
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var directory = TopicName.DirectoryFor(TopicName.DirectoryFor(_root, name), topic);
            if (!_positions.ContainsKey(key))
            {
                _storage.CreateDirectory(directory);
                _storage.SyncDirectory(Path.GetDirectoryName(directory)!);
                _storage.SyncDirectory(_root);
            }
            var bytes = new byte[12];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, nextOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Crc32C.Compute(bytes.AsSpan(0, 8)));
            AtomicFile.Write(_storage, Path.Combine(directory, partition.ToString(CultureInfo.InvariantCulture) + Suffix), bytes);
            _positions[key] = nextOffset;
            _committedAt[key] = _time.GetTimestamp();
        }
        finally
        {
            gate.Release();
        }
    }

    private static long? Decode(byte[]? bytes)
        => bytes is { Length: 12 } && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)) == Crc32C.Compute(bytes.AsSpan(0, 8))
            ? BinaryPrimitives.ReadInt64LittleEndian(bytes)
            : null;
}
