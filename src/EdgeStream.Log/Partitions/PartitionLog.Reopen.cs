using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Segments;

namespace EdgeStream.Log.Partitions;

/// <summary>
/// Self-healing after a failed write or fsync. The partition is never retried in place: after a failed fsync Linux may
/// have dropped the dirty pages (or marked them clean), so the page cache no longer says what the disk holds. Instead
/// the reopener, after a bounded exponential backoff on the <see cref="TimeProvider"/>, closes every segment, opens
/// the directory again with recovery, cuts everything past the last successful fsync (never acknowledged, and not to
/// be trusted), and proves the disk with an fsync of the active segment and the directory. On success the partition
/// accepts appends again; on failure it stays failed and tries again later. Every acknowledged record survives.
/// </summary>
internal sealed partial class PartitionLog
{
    internal static readonly TimeSpan FirstReopenDelay = TimeSpan.FromMilliseconds(200);
    internal static readonly TimeSpan MaxReopenDelay = TimeSpan.FromMinutes(1);

    private Task _reopener = Task.CompletedTask;
    private long _failedAt;
    private DateTimeOffset _failedAtWall;
    private int _consecutiveFailures;
    private int _reopenAttempts;
    private (long From, long To)[] _lost = [];

    /// <summary>The current failure, or null while the partition works.</summary>
    public PartitionFailure? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure is null
                    ? null
                    : new PartitionFailure(Topic, Id, _failure.InnerException?.Message ?? _failure.Message, _failedAtWall,
                        _time.GetElapsedTime(_failedAt), _reopenAttempts);
            }
        }
    }

    private const int MaxLostRanges = 256;

    /// <summary>The failure to report for a durability wait on <paramref name="offset"/> if a reopen cut it, else null.</summary>
    private PartitionFailedException? LostLocked(long offset)
    {
        foreach (var (from, to) in _lost)
        {
            if (offset >= from && offset < to)
            {
                return new PartitionFailedException(Topic, Id, new IOException(
                    $"offset {offset} was appended before a failed write or fsync and was not kept when the partition reopened"));
            }
        }
        return null;
    }

    private void StartReopenLocked()
    {
        _consecutiveFailures++;
        _reopenAttempts = 0;
        if (_reopener.IsCompleted && !_stop.IsCancellationRequested)
        {
            _reopener = Task.Run(() => ReopenLoopAsync(_stop.Token));
        }
    }

    private async Task ReopenLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                TimeSpan delay;
                lock (_lock)
                {
                    var exponent = Math.Min(_consecutiveFailures - 1 + _reopenAttempts, 20);
                    delay = TimeSpan.FromTicks(Math.Min(MaxReopenDelay.Ticks, FirstReopenDelay.Ticks << exponent));
                }
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                try
                {
                    Reopen();
                    return;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    int attempts;
                    lock (_lock)
                    {
                        attempts = ++_reopenAttempts;
                    }
                    LogEvents.ReopenFailed(_logger, e, Topic, Id, attempts);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Reopen()
    {
        // The flusher may be writing batches it took before the failure: the cut below must come after that write.
        using var flushWrite = _flushWrite.EnterScope();
        lock (_lock)
        {
            if (_failure is null)
            {
                return;
            }
            var durable = _durableOffset;
            var old = _segments;
            // Segments retention already deleted may linger on disk until their last reader is done: not ours any more.
            var bases = _storage.Files(Directory, "*" + SegmentFiles.LogSuffix)
                .Select(p => SegmentFiles.TryParseBaseOffset(p, out var b) ? b : -1)
                .Where(b => b >= old[0].BaseOffset)
                .Order()
                .ToList();
            var segments = new List<Segment>();
            try
            {
                if (bases.Count == 0)
                {
                    throw new IOException($"{Directory} holds no segment any more.");
                }
                Recover(Topic, Id, Directory, Settings, _storage, _logger, _metrics, bases, segments);
                // Everything past the last successful fsync goes: it was never acknowledged and the page cache that
                // holds it may differ from the disk.
                while (segments.Count > 1 && segments[^1].BaseOffset > durable)
                {
                    segments[^1].Delete();
                    segments.RemoveAt(segments.Count - 1);
                }
                var active = segments[^1];
                active.TruncateAt(durable);
                active.Flush(active.Size);
                _storage.SyncDirectory(Directory);
            }
            catch
            {
                foreach (var segment in segments)
                {
                    segment.Close();
                }
                throw;
            }
            foreach (var segment in old)
            {
                segment.Close();
            }
            foreach (var segment in segments)
            {
                segment.StartAgeClock(_time);
            }
            if (_nextOffset > segments[^1].NextOffset)
            {
                // These offsets were handed out but their records are gone, and the next appends reuse them: a caller
                // that waits for one of them now cannot tell its record from a newer one, so every such wait fails
                // (the sender retries; a newer record at that offset is stored, only its acknowledgement is refused).
                Volatile.Write(ref _lost, [.. _lost.TakeLast(MaxLostRanges - 1), (segments[^1].NextOffset, _nextOffset)]);
            }
            _budget.Remove(old.Sum(s => s.Size));
            _budget.Add(segments.Sum(s => s.Size));
            _budget.Invalidate();
            Volatile.Write(ref _segments, [.. segments]);
            _sealedUnflushed = [];
            _nextOffset = segments[^1].NextOffset;
            Volatile.Write(ref _durableOffset, _nextOffset);
            _unflushedBytes = 0;
            _directoryDirty = false;
            _checkpointedOffset = RecoveryCheckpoint.Read(_storage, Directory) ?? -1;
            _flushed = NewSignal();
            var failure = _failure;
            _failure = null;
            _generation++;
            if (_flusher.IsCompleted && !_stop.IsCancellationRequested)
            {
                StartFlusher();
            }
            LogEvents.PartitionReopened(_logger, Topic, Id, _nextOffset, _time.GetElapsedTime(_failedAt), failure.InnerException?.Message ?? failure.Message);
        }
        _metrics.PartitionReopens.Add(1, _topicTag);
    }
}
