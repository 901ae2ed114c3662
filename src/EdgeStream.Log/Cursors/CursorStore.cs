using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Log.Cursors;

/// <summary>
/// Named cursors (consumer offsets), one small file per (cursor, topic, partition):
/// <c>cursors/{name}/{topic}/{partition}.cursor</c>, 12 bytes little-endian: int64 next offset, uint32 CRC32C of it.
/// Each commit replaces its file atomically (temp, fsync, rename, directory fsync), so after a crash a cursor holds
/// its last committed value; opening fsyncs every cursor directory, so what it loaded from a crashed process's page
/// cache stays through a power cut. A file that fails its check at open is logged (event 1046) and ignored: that cursor
/// starts as never committed. Cursor names follow the topic-name rules. Deletion removes the file (then fsyncs the
/// directory).
/// Commits and deletions are queued (bounded: a full queue makes callers wait) to one flusher task, which takes
/// everything queued at once (group commit): several commits of one cursor become one write, and each directory is
/// fsynced once per flush. A commit completes once its flush is durable; no caller's thread blocks in fsync.
/// The time of each cursor's last commit is kept in memory on the monotonic clock (a cursor loaded at open counts as
/// committed then), for idle expiry. Thread-safe.
/// </summary>
internal sealed partial class CursorStore : IAsyncDisposable
{
    private const string Suffix = ".cursor";
    private const int MaxQueued = 4096;
    private readonly ILogStorage _storage;
    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<CursorKey, long> _positions = new();
    private readonly ConcurrentDictionary<CursorKey, long> _committedAt = new();
    private readonly Channel<CursorOp> _queue = Channel.CreateBounded<CursorOp>(
        new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _flusher;

    public CursorStore(ILogStorage storage, string root, TimeProvider time, ILogger logger)
    {
        _storage = storage;
        _root = root;
        _time = time;
        _logger = logger;
        storage.CreateDirectory(root);
        Load();
        _flusher = Task.Run(FlushLoopAsync);
    }

    public long? Get(string name, string topic, int partition)
        => _positions.TryGetValue(new(name, topic, partition), out var offset) ? offset : null;

    public IReadOnlyList<CursorPosition> All()
        => [.. _positions.Select(p => p.Key.At(p.Value))
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
                lowest = key.At(offset);
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
                yield return (key.At(offset), _time.GetElapsedTime(at));
            }
        }
    }

    /// <summary>
    /// Deletes cursor <paramref name="name"/> on every partition, on every partition of <paramref name="topic"/>, or on
    /// one partition, durably. Returns the positions deleted (none when it did not exist).
    /// </summary>
    public async Task<IReadOnlyList<CursorPosition>> DeleteAsync(string name, string? topic, int? partition, CancellationToken cancellationToken)
    {
        var op = new CursorOp(default, 0, new CursorFilter(name, topic, partition));
        await EnqueueAsync(op, cancellationToken).ConfigureAwait(false);
        return await op.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes once the cursor's new position is durable. Cancelling stops the wait, not the commit.</summary>
    /// <exception cref="ArgumentException">The cursor name is invalid.</exception>
    /// <exception cref="IOException">The write or fsync failed; the cursor keeps its previous position.</exception>
    public async Task CommitAsync(string name, string topic, int partition, long nextOffset, CancellationToken cancellationToken)
    {
        if (!TopicName.IsValid(name, out var reason))
        {
            throw new ArgumentException($"Invalid cursor name: {reason}.", nameof(name));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(nextOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        var op = new CursorOp(new CursorKey(name, topic, partition), nextOffset, null);
        await EnqueueAsync(op, cancellationToken).ConfigureAwait(false);
        await op.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking commits, completes every queued one, then stops the flusher.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _flusher.ConfigureAwait(false);
    }

    private async ValueTask EnqueueAsync(CursorOp op, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(op, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(LogStore), "The log is closed: cursors cannot change.");
        }
    }

    // A crashed process may have left a cursor's directories or its last rename in the page cache only: fsyncing them
    // here, before anything builds on the positions loaded, keeps a power cut from taking a cursor back or away.
    private void Load()
    {
        _storage.SyncDirectory(_root);
        foreach (var nameDir in _storage.Directories(_root))
        {
            var name = Path.GetFileName(nameDir);
            if (!TopicName.IsValid(name, out _))
            {
                continue;
            }
            _storage.SyncDirectory(nameDir);
            foreach (var topicDir in _storage.Directories(nameDir))
            {
                _storage.SyncDirectory(topicDir);
                var topic = Path.GetFileName(topicDir);
                foreach (var file in _storage.Files(topicDir, "*" + Suffix))
                {
                    if (!int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
                    {
                        continue;
                    }
                    var bytes = AtomicFile.Read(_storage, file);
                    if (Decode(bytes, out var problem) is { } offset)
                    {
                        var key = new CursorKey(name, topic, partition);
                        _positions[key] = offset;
                        _committedAt[key] = _time.GetTimestamp();
                    }
                    else
                    {
                        LogEvents.CursorFileCorrupt(_logger, name, topic, partition, file, problem);
                    }
                }
            }
        }
    }

    private string DirectoryOf(CursorKey key) => TopicName.DirectoryFor(TopicName.DirectoryFor(_root, key.Name), key.Topic);

    private static string FileOf(string directory, int partition) => Path.Combine(directory, partition.ToString(CultureInfo.InvariantCulture) + Suffix);

    private static byte[] Encode(long nextOffset)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, nextOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Crc32C.Compute(bytes.AsSpan(0, 8)));
        return bytes;
    }

    private static long? Decode(byte[]? bytes, out string problem)
    {
        if (bytes is not { Length: 12 })
        {
            problem = bytes is null ? "unreadable" : $"{bytes.Length} bytes instead of 12";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)) != Crc32C.Compute(bytes.AsSpan(0, 8)))
        {
            problem = "CRC32C mismatch";
            return null;
        }
        problem = "";
        var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (offset < 0)
        {
            problem = $"negative offset {offset}";
            return null;
        }
        return offset;
    }

    private readonly record struct CursorKey(string Name, string Topic, int Partition)
    {
        public CursorPosition At(long offset) => new(Name, Topic, Partition, offset);
    }

    private sealed record CursorFilter(string Name, string? Topic, int? Partition)
    {
        public bool Matches(CursorKey key) => key.Name == Name && (Topic is null || key.Topic == Topic) && (Partition is null || key.Partition == Partition);
    }

    /// <summary>A queued commit (<see cref="Filter"/> null) or deletion; <see cref="Done"/> completes once it is durable.</summary>
    private sealed record CursorOp(CursorKey Key, long Offset, CursorFilter? Filter)
    {
        public TaskCompletionSource<IReadOnlyList<CursorPosition>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
