using System.Diagnostics;
using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Segments;

namespace EdgeStream.Log.Partitions;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes the oldest segments while <paramref name="shouldDelete"/> says so. Only sealed, durable segments go;
    /// the active segment always stays. Returns (segments, bytes, records) deleted.
    /// </summary>
    public (int Segments, long Bytes, long Records) DeleteOldest(Func<Segment, long, bool> shouldDelete, int maxSegments = int.MaxValue)
    {
        var deleted = new List<Segment>();
        lock (_lock)
        {
            var remainingBytes = _segments.Sum(s => s.Size);
            var i = 0;
            while (i < _segments.Length - 1 && deleted.Count < maxSegments)
            {
                var segment = _segments[i];
                var next = _segments[i + 1].BaseOffset;
                if (next > _durableOffset || _sealedUnflushed.Contains(segment) || !shouldDelete(segment, remainingBytes))
                {
                    break;
                }
                deleted.Add(segment);
                remainingBytes -= segment.Size;
                i++;
            }
            if (deleted.Count == 0)
            {
                return (0, 0, 0);
            }
            _segments = _segments[deleted.Count..];
        }
        var bytes = deleted.Sum(s => s.Size);
        var records = Volatile.Read(ref _segments)[0].BaseOffset - deleted[0].BaseOffset;
        foreach (var segment in deleted)
        {
            segment.Delete();
        }
        _budget.Remove(bytes);
        _budget.Invalidate();
        return (deleted.Count, bytes, records);
    }

    /// <summary>
    /// Dead-letter topics (<see cref="TopicSettings.IsDeadLetterTopic"/>) hold the only copy of records upstream refused;
    /// no retention, age, size or disk-budget drop deletes them. Only <see cref="PurgeAsync"/> (an operator's
    /// <c>log dlq purge|requeue</c>) does.
    /// </summary>
    private bool Protected => TopicSettings.IsDeadLetterTopic(Topic);

    /// <summary>
    /// Applies the topic's age and size retention, keeping what <paramref name="protectFrom"/> (the lowest cursor) has
    /// not passed. A segment's age is that of its newest data measured on the monotonic clock (see
    /// <see cref="Segment.StartAgeClock"/>), so a wall-clock step does not wipe recent data. Returns the bytes that
    /// retention (or, when <paramref name="budgetFull"/>, the disk budget) would delete but the cursor holds back.
    /// </summary>
    public long ApplyRetention(long? protectFrom, bool budgetFull = false)
    {
        RollIfAged();
        if (Protected)
        {
            return 0;
        }
        var maxAge = Settings.RetentionAge;
        var sizeLimit = Settings.RetentionBytes;
        var keepFrom = Settings.KeepUnconsumed ? protectFrom : null;
        var reason = "";
        long blocked = 0;
        var (count, bytes, records) = DeleteOldest((segment, remaining) =>
        {
            var aged = maxAge is { } age && segment.Age(_time) > age;
            var oversize = sizeLimit is { } limit && remaining - segment.Size >= limit;
            if (keepFrom is { } k && segment.NextOffset > k)
            {
                if (aged || oversize || budgetFull)
                {
                    blocked = BlockedBytes(k, maxAge, sizeLimit, remaining, budgetFull);
                }
                return false;
            }
            if (aged)
            {
                reason = "older than the retention age";
                return true;
            }
            if (oversize)
            {
                reason = "over the retention size";
                return true;
            }
            return false;
        });
        if (count > 0)
        {
            var tags = new TagList { { "topic", Topic }, { "reason", "retention" } };
            _metrics.DroppedSegments.Add(count, tags);
            _metrics.DroppedRecords.Add(records, tags);
            LogEvents.RetentionDeleted(_logger, Topic, Id, count, bytes, StartOffset, reason);
        }
        return blocked;
    }

    /// <summary>Deletes the oldest segment to make room under the disk budget; false if none can go.</summary>
    public bool DropOldestForBudget()
    {
        if (Protected)
        {
            return false;
        }
        var (count, bytes, records) = DeleteOldest((_, _) => true, maxSegments: 1);
        if (count == 0)
        {
            return false;
        }
        var tags = new TagList { { "topic", Topic }, { "reason", "disk-budget" } };
        _metrics.DroppedSegments.Add(count, tags);
        _metrics.DroppedRecords.Add(records, tags);
        LogEvents.DroppedOldest(_logger, Topic, Id, StartOffset, records, bytes);
        return true;
    }

    /// <summary>Max timestamp of the oldest deletable segment, or null (for picking which partition drops first).</summary>
    public long? OldestDeletableTimestamp()
    {
        if (Protected)
        {
            return null;
        }
        lock (_lock)
        {
            return _segments.Length > 1 && _segments[1].BaseOffset <= _durableOffset && !_sealedUnflushed.Contains(_segments[0])
                ? _segments[0].MaxTimestamp
                : null;
        }
    }

    /// <summary>
    /// Bytes of the sealed, durable segments from the one a cursor at <paramref name="keepFrom"/> stops on that
    /// retention would delete if no cursor held them. Called under the lock (from <see cref="DeleteOldest"/>).
    /// </summary>
    private long BlockedBytes(long keepFrom, TimeSpan? maxAge, long? sizeLimit, long remaining, bool budgetFull)
    {
        long blocked = 0;
        for (var i = 0; i < _segments.Length - 1; i++)
        {
            var segment = _segments[i];
            if (segment.NextOffset <= keepFrom)
            {
                continue;
            }
            var aged = maxAge is { } age && segment.Age(_time) > age;
            var oversize = sizeLimit is { } limit && remaining - segment.Size >= limit;
            if (!(aged || oversize || budgetFull) || _segments[i + 1].BaseOffset > _durableOffset)
            {
                break;
            }
            blocked += segment.Size;
            remaining -= segment.Size;
        }
        return blocked;
    }

    /// <summary>
    /// Deletes every record stored so far (an operator's purge): rolls a non-empty active segment, waits for the flush
    /// that makes the roll durable, then deletes every sealed segment. Offsets are never reused: the partition then
    /// starts (empty) at its old next offset, so cursors stay valid. Records appended meanwhile are kept.
    /// Returns (segments, bytes, records) deleted.
    /// </summary>
    public async Task<(int Segments, long Bytes, long Records)> PurgeAsync(CancellationToken cancellationToken)
    {
        Task flushed;
        lock (_lock)
        {
            if (_failure is not null)
            {
                throw _failure;
            }
            if (_segments[^1].Size > 0)
            {
                RollLocked();
            }
            // The next flush takes this signal and the rolled segment together.
            flushed = _flushed.Task;
        }
        _wake.Release();
        _urgent.Release();
        await flushed.WaitAsync(cancellationToken).ConfigureAwait(false);
        var (count, bytes, records) = DeleteOldest((_, _) => true);
        if (count > 0)
        {
            var tags = new TagList { { "topic", Topic }, { "reason", "purge" } };
            _metrics.DroppedSegments.Add(count, tags);
            _metrics.DroppedRecords.Add(records, tags);
            LogEvents.RetentionDeleted(_logger, Topic, Id, count, bytes, StartOffset, "purged by the operator");
        }
        return (count, bytes, records);
    }

    /// <summary>Rolls an idle active segment past its maximum age so age retention can delete it later.</summary>
    private void RollIfAged()
    {
        lock (_lock)
        {
            var active = _segments[^1];
            if (_failure is null && active.Size > 0 && active.ActiveFor(_time, _time.GetTimestamp()) >= Settings.SegmentMaxAge)
            {
                RollLocked();
                _wake.Release();
            }
        }
    }
}
