using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeStream.Log.Diagnostics;

namespace EdgeStream.Log;

/// <summary>Cursor lifecycle: deletion, idle expiry, cursors in use by sinks, and retention blocked by a cursor.</summary>
public sealed partial class LogStore
{
    private readonly ConcurrentDictionary<string, byte> _cursorsInUse = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Topic, int Partition), (CursorPosition Cursor, long Bytes)> _blocked = new();

    /// <summary>
    /// Marks cursor names as in use (e.g. by the configured sinks, called once at start): such cursors never expire
    /// through <see cref="LogOptions.CursorIdleExpiry"/>, however long they stay idle. Idempotent; thread-safe.
    /// </summary>
    public void MarkCursorsInUse(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            _cursorsInUse[name] = 0;
        }
    }

    /// <summary>
    /// Deletes cursor <paramref name="name"/> durably: on every topic and partition, on every partition of
    /// <paramref name="topic"/>, or on one <paramref name="partition"/> of it. The deleted positions no longer hold back
    /// retention. Returns what was deleted (empty when the cursor did not exist there).
    /// </summary>
    /// <exception cref="ArgumentException">A partition without a topic was given.</exception>
    public async Task<IReadOnlyList<CursorPosition>> DeleteCursorAsync(string name, string? topic = null, int? partition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (partition is not null && topic is null)
        {
            throw new ArgumentException("A partition needs its topic.", nameof(partition));
        }
        var deleted = await _cursors.DeleteAsync(name, topic, partition, cancellationToken).ConfigureAwait(false);
        foreach (var c in deleted)
        {
            LogEvents.CursorDeleted(_logger, c.Name, c.Topic, c.Partition, c.NextOffset);
        }
        return deleted;
    }

    /// <summary>Partitions whose retention a cursor holds back, with the cursor and the bytes held (as of the last retention pass).</summary>
    public IReadOnlyList<(CursorPosition Cursor, long Bytes)> GetRetentionBlocks()
        => [.. _blocked.Values.OrderBy(b => b.Cursor.Topic, StringComparer.Ordinal).ThenBy(b => b.Cursor.Partition)];

    private async Task ExpireIdleCursorsAsync(CancellationToken cancellationToken)
    {
        if (_options.CursorIdleExpiry is not { } expiry)
        {
            return;
        }
        foreach (var (cursor, idle) in _cursors.IdleTimes().ToList())
        {
            if (idle < expiry || _cursorsInUse.ContainsKey(cursor.Name))
            {
                continue;
            }
            var deleted = await _cursors.DeleteAsync(cursor.Name, cursor.Topic, cursor.Partition, cancellationToken).ConfigureAwait(false);
            foreach (var c in deleted)
            {
                LogEvents.CursorExpired(_logger, c.Name, c.Topic, c.Partition, idle, c.NextOffset);
            }
        }
    }

    /// <summary>Keeps the blocked-retention state per partition, logging only when it changes.</summary>
    private void TrackBlocked(string topic, int partition, CursorPosition? cursor, long bytes)
    {
        var key = (topic, partition);
        if (cursor is null)
        {
            if (_blocked.TryRemove(key, out _))
            {
                LogEvents.RetentionUnblocked(_logger, topic, partition);
            }
            return;
        }
        var changed = !_blocked.TryGetValue(key, out var before) || before.Cursor.Name != cursor.Name;
        _blocked[key] = (cursor, bytes);
        if (changed)
        {
            LogEvents.RetentionBlocked(_logger, topic, partition, cursor.Name, cursor.NextOffset, bytes);
        }
    }

    private IEnumerable<Measurement<long>> ObserveBlocked()
        => _blocked.Values.Select(b => new Measurement<long>(b.Bytes,
            new KeyValuePair<string, object?>("topic", b.Cursor.Topic),
            new KeyValuePair<string, object?>("partition", b.Cursor.Partition),
            new KeyValuePair<string, object?>("cursor", b.Cursor.Name)));
}
