using System.Diagnostics;
using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Format;
using EdgeStream.Log.Retention;
using EdgeStream.Log.Segments;
using EdgeStream.Log.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Log.Partitions;

/// <summary>
/// One partition: an ordered list of segments, the last one active. Appends are serialized by a lock and return as
/// soon as the batch is written; a flusher task per partition fsyncs per the <see cref="CommitPolicy"/> and publishes
/// the durable offset, sharing each fsync among every append it covers (group commit). Under <c>group</c> and
/// <c>always</c> a durability waiter that finds no flush running does it itself; flushes run one at a time. Readers see
/// only durable records. After a failed write or fsync the partition refuses appends (the page cache can no longer be
/// trusted) and reopens itself from disk in the background, with backoff (see PartitionLog.Reopen.cs). A write refused
/// for lack of space (ENOSPC) is a full disk, not a failure: it surfaces as <see cref="LogFullException"/>. Thread-safe.
/// </summary>
internal sealed partial class PartitionLog
{
    private static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(10);

    private readonly ILogStorage _storage;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LogMetrics _metrics;
    private readonly DiskBudget _budget;
    private readonly CommitPolicy _policy;
    private readonly KeyValuePair<string, object?> _topicTag;
    private readonly Lock _lock = new();
    private readonly Lock _flushWrite = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _urgent = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private Segment[] _segments;
    private List<Segment> _sealedUnflushed = [];
    private long _nextOffset;
    private long _durableOffset;
    private long _unflushedBytes;
    private long _firstUnflushedAt;
    private bool _directoryDirty;
    private long _checkpointedOffset = -1;
    private long _checkpointedAt;
    private TaskCompletionSource _flushed = NewSignal();
    private TaskCompletionSource _arrived = NewSignal();
    private PartitionFailedException? _failure;
    private Task _flusher = Task.CompletedTask;
    private int _generation;
    private int _flushSkipped;

    private PartitionLog(string topic, int id, string directory, TopicSettings settings, CommitPolicy policy, ILogStorage storage,
        TimeProvider time, ILogger logger, LogMetrics metrics, DiskBudget budget, Segment[] segments)
    {
        Topic = topic;
        Id = id;
        Directory = directory;
        Settings = settings;
        _policy = policy;
        _storage = storage;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _budget = budget;
        _segments = segments;
        _nextOffset = segments[^1].NextOffset;
        _durableOffset = _nextOffset;
        _topicTag = new("topic", topic);
        foreach (var segment in segments)
        {
            segment.StartAgeClock(time);
        }
    }

    public string Topic { get; }

    public int Id { get; }

    public string Directory { get; }

    public TopicSettings Settings { get; }

    public long NextOffset
    {
        get
        {
            lock (_lock)
            {
                return _nextOffset;
            }
        }
    }

    public long DurableOffset => Volatile.Read(ref _durableOffset);

    public long StartOffset => Volatile.Read(ref _segments)[0].BaseOffset;

    public long SizeBytes => Volatile.Read(ref _segments).Sum(s => s.Size);

    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>Appends an encoded batch (its base offset is assigned here). Returns once written, not once durable.</summary>
    public AppendResult Append(in EncodedBatch batch)
    {
        var now = _time.GetTimestamp();
        long baseOffset;
        long unflushed;
        ThrowIfParked();
        lock (_lock)
        {
            if (_failure is not null)
            {
                throw _failure;
            }
            var active = _segments[^1];
            if (active.Size > 0 && (active.Size + batch.Length > Settings.SegmentBytes || active.ActiveFor(_time, now) >= Settings.SegmentMaxAge))
            {
                active = RollLocked();
            }
            baseOffset = _nextOffset;
            batch.SetBaseOffset(baseOffset);
            try
            {
                active.Append(batch, baseOffset, now);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!active.Damaged && DiskFull.Is(e))
                {
                    // The write was cut back, so nothing is lost and the file is sound: the disk budget's answer.
                    _budget.Invalidate();
                    _metrics.Rejected.Add(1, _topicTag);
                    throw new LogFullException(Topic, "the data volume is full (no space left on device)", e);
                }
                // Not retried in place: the partition reopens from disk (see PartitionLog.Reopen.cs).
                throw FailLocked(e);
            }
            _nextOffset = baseOffset + batch.Count;
            if (_unflushedBytes == 0)
            {
                _firstUnflushedAt = now;
            }
            _unflushedBytes += batch.Length;
            unflushed = _unflushedBytes;
        }
        _budget.Add(batch.Length);
        _metrics.AppendedRecords.Add(batch.Count, _topicTag);
        _metrics.AppendedBytes.Add(batch.Length, _topicTag);
        // A wake still pending is consumed before the flush that will cover this append (the flusher drains its wakes,
        // then flushes all it finds), so a second one would only contend on the semaphore's lock.
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
        if (_policy.Bytes is { } threshold && unflushed >= threshold)
        {
            _urgent.Release();
        }
        return new AppendResult(Id, baseOffset, batch.Count);
    }

    /// <summary>Completes when <paramref name="offset"/> is durable; throws the partition's failure if the fsync failed.</summary>
    public ValueTask WaitForDurableAsync(long offset, CancellationToken cancellationToken)
        => Volatile.Read(ref _durableOffset) > offset && Volatile.Read(ref _lost).Length == 0
            ? ValueTask.CompletedTask
            : SlowWaitForDurableAsync(offset, cancellationToken);

    /// <summary>Completes when a durable record exists at <paramref name="offset"/>.</summary>
    public async Task WaitForRecordsAsync(long offset, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _durableOffset) <= offset)
        {
            var arrived = Volatile.Read(ref _arrived).Task;
            if (Volatile.Read(ref _durableOffset) > offset)
            {
                return;
            }
            await arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Forces a flush of everything appended so far and waits for it.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = NextOffset;
        if (target > 0)
        {
            _urgent.Release();
            await WaitForDurableAsync(target - 1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the flusher.</summary>
    public void Start() => StartFlusher();

    /// <summary>
    /// The flusher is a task on the thread pool under every policy, though its fsync blocks the worker it runs on. An
    /// append's wake queues the flush to the pool (first to the appender's own worker) instead of waking a parked thread,
    /// so each flush tends to cover more appends, and the acknowledgements it releases are queued where it ran. On 2 cores
    /// that made QoS 1 MQTT ingest faster at 10 and 100 connections than a thread per partition, with a lower p99
    /// (docs/performance.md, issue 13, tenth pass), and an open partition no longer parks a thread. The host keeps one
    /// worker more than cores (ThreadPoolFloor), so one flush in progress leaves no core idle; several blocked at once
    /// (many busy partitions on slow storage) are met by the pool's starvation detection, which adds workers.
    /// </summary>
    private void StartFlusher() => _flusher = Task.Run(() => FlushLoopAsync(_stop.Token));

    /// <summary>Stops the flusher, flushes what is left, writes the recovery checkpoint and closes the files.</summary>
    public async Task CloseAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _flusher.ConfigureAwait(false);
        await _reopener.ConfigureAwait(false);
        // A waiter may still be committing on its own thread; after this, no flush ever runs again.
        await _flushGate.WaitAsync().ConfigureAwait(false);
        if (_failure is null)
        {
            FlushNow(forceCheckpoint: true);
        }
        if (_failure is null)
        {
            TrimActiveOnClose();
        }
        foreach (var segment in Volatile.Read(ref _segments))
        {
            segment.Close();
        }
        _stop.Dispose();
    }

    private async ValueTask SlowWaitForDurableAsync(long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task flushed;
            lock (_lock)
            {
                if (LostLocked(offset) is { } lost)
                {
                    throw lost;
                }
                if (_durableOffset > offset)
                {
                    return;
                }
                if (_failure is not null)
                {
                    throw _failure;
                }
                if (offset >= _nextOffset)
                {
                    throw new ArgumentOutOfRangeException(nameof(offset), $"Offset {offset} of {Topic}/{Id} has not been appended (next offset {_nextOffset}).");
                }
                flushed = _flushed.Task;
            }
            // No flush running: the waiter commits on its own thread, as SQLite does. Handing the fsync to the flusher
            // costs two thread wake-ups per commit (flusher, then this continuation), which one appender committing
            // back to back pays in full.
            if (_policy.Mode != CommitMode.Threshold && TryFlush())
            {
                continue;
            }
            _wake.Release();
            if (_policy is { Mode: CommitMode.Threshold, Interval: null })
            {
                // With only a byte threshold nothing else would ever flush a quiet partition: a waiter forces it.
                _urgent.Release();
            }
            await flushed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FlushLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(stop).ConfigureAwait(false);
                if (_policy.Mode == CommitMode.Threshold)
                {
                    await WaitForThresholdAsync(stop).ConfigureAwait(false);
                }
                DrainWakes();
                if (!TryFlush())
                {
                    // A waiter is committing: it may have taken its snapshot before the appends that woke us, so
                    // whoever holds the gate wakes us again when it lets go. Set, then retried, so that wake-up
                    // cannot be missed by a holder letting go in between.
                    Volatile.Write(ref _flushSkipped, 1);
                    TryFlush();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            FlusherDied(e);
        }
    }

    /// <summary>One flush if none is running (flushes are one at a time); false if one was.</summary>
    private bool TryFlush()
    {
        if (!_flushGate.Wait(0))
        {
            return false;
        }
        try
        {
            FlushNow(forceCheckpoint: false);
        }
        catch (Exception e)
        {
            FlusherDied(e);
        }
        finally
        {
            _flushGate.Release();
        }
        if (Interlocked.Exchange(ref _flushSkipped, 0) == 1)
        {
            _wake.Release();
        }
        return true;
    }

    /// <summary>Wakes that arrived while the flusher waited are covered by the flush that follows.</summary>
    private void DrainWakes()
    {
        while (_wake.CurrentCount > 0 && _wake.Wait(0))
        {
        }
    }

    /// <summary>A dead flusher would leave every durability waiter hanging: fail the partition loudly instead.</summary>
    private void FlusherDied(Exception e)
    {
        lock (_lock)
        {
            FailLocked(e);
        }
    }

    private async Task WaitForThresholdAsync(CancellationToken stop)
    {
        if (_policy.Interval is { } interval)
        {
            var waited = _time.GetElapsedTime(Interlocked.Read(ref _firstUnflushedAt));
            if (waited < interval)
            {
                await _urgent.WaitAsync(interval - waited, stop).ConfigureAwait(false);
            }
        }
        else
        {
            await _urgent.WaitAsync(stop).ConfigureAwait(false);
        }
        while (_urgent.CurrentCount > 0 && _urgent.Wait(0))
        {
        }
    }

    /// <summary>
    /// One flush: write and fsync every segment written since the last one, then publish the durable offset. The
    /// active segment's coalesced batches are written after the partition lock is let go, so appends go on meanwhile.
    /// </summary>
    private void FlushNow(bool forceCheckpoint)
    {
        TaskCompletionSource flushed;
        long target;
        List<(Segment Segment, long Size)> work;
        bool syncDirectory;
        bool rolled;
        int generation;
        Segment? active;
        Segment.PendingWrite taken;
        // Held until the write is done: a reopen must never cut the file and then see stale bytes written after it.
        using (_flushWrite.EnterScope())
        {
            lock (_lock)
            {
                if (_failure is not null)
                {
                    return;
                }
                generation = _generation;
                flushed = _flushed;
                _flushed = NewSignal();
                target = _nextOffset;
                rolled = _sealedUnflushed.Count > 0;
                // Held references keep retention from closing a segment while it is being written and fsynced.
                work = new List<(Segment, long)>(_sealedUnflushed.Count + 1);
                foreach (var segment in _sealedUnflushed)
                {
                    if (segment.TryAcquire())
                    {
                        work.Add((segment, segment.Size));
                    }
                }
                active = _segments[^1].TryAcquire() ? _segments[^1] : null;
                if (active is not null)
                {
                    work.Add((active, active.Size));
                }
                try
                {
                    // A rolled segment's batches are written here, in order, and it loses its preallocated tail.
                    foreach (var (segment, _) in work)
                    {
                        if (!ReferenceEquals(segment, active))
                        {
                            segment.WritePending();
                            segment.TrimToSize();
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    ReleaseAll(work);
                    // Appends already returned for those bytes: their waiters get the failure, the partition reopens.
                    flushed.TrySetException(FailLocked(e));
                    return;
                }
                taken = active?.TakePending() ?? default;
                _sealedUnflushed = [];
                _unflushedBytes = 0;
                syncDirectory = _directoryDirty;
                _directoryDirty = false;
            }
            try
            {
                // One positional write for every batch appended to the active segment since the last flush.
                active?.WriteTaken(taken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                ReleaseAll(work);
                lock (_lock)
                {
                    flushed.TrySetException(FailLocked(e));
                }
                return;
            }
        }

        try
        {
            var checkpoint = rolled || forceCheckpoint || _time.GetElapsedTime(_checkpointedAt) >= CheckpointEvery;
            if (target == Volatile.Read(ref _durableOffset) && !rolled && !syncDirectory && !forceCheckpoint)
            {
                flushed.TrySetResult();
                return;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                foreach (var (segment, size) in work)
                {
                    segment.Flush(size);
                    if (checkpoint)
                    {
                        // The recovery point promises that the index entries below it are on disk too.
                        segment.FlushIndexes();
                    }
                }
                if (syncDirectory)
                {
                    _storage.SyncDirectory(Directory);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                PartitionFailedException failure;
                lock (_lock)
                {
                    failure = FailLocked(e);
                }
                flushed.TrySetException(failure);
                return;
            }
            _metrics.FsyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, _topicTag);
            lock (_lock)
            {
                if (_failure is not null || generation != _generation)
                {
                    // An append failed (or the partition reopened) during this fsync: its waiters get the failure.
                    flushed.TrySetException(_failure ?? new PartitionFailedException(Topic, Id, new IOException("the partition was reopened")));
                    return;
                }
                Volatile.Write(ref _durableOffset, target);
                _consecutiveFailures = 0;
            }
            flushed.TrySetResult();
            Interlocked.Exchange(ref _arrived, NewSignal()).TrySetResult();
            if (checkpoint)
            {
                WriteCheckpoint(target);
            }
        }
        finally
        {
            ReleaseAll(work);
        }
    }

    private static void ReleaseAll(List<(Segment Segment, long Size)> work)
    {
        foreach (var (segment, _) in work)
        {
            segment.Release();
        }
    }

    /// <summary>A cleanly closed log has no preallocated tail: its files are exactly its data.</summary>
    private void TrimActiveOnClose()
    {
        var active = Volatile.Read(ref _segments)[^1];
        try
        {
            lock (_lock)
            {
                active.TrimToSize();
            }
            active.Flush(active.Size);
        }
        catch (IOException e)
        {
            // Harmless: recovery treats the zero tail as the clean end.
            LogEvents.TrimFailed(_logger, e, Topic, Id);
        }
    }

    private void WriteCheckpoint(long offset)
    {
        if (offset == _checkpointedOffset)
        {
            return;
        }
        try
        {
            RecoveryCheckpoint.Write(_storage, Directory, offset);
            _checkpointedOffset = offset;
            _checkpointedAt = _time.GetTimestamp();
        }
        catch (IOException e)
        {
            // Only recovery time suffers: an older checkpoint makes the next open scan further back.
            LogEvents.CheckpointFailed(_logger, e, Topic, Id);
        }
    }

    private Segment RollLocked()
    {
        var old = _segments[^1];
        old.Seal();
        _sealedUnflushed.Add(old);
        var segment = Segment.Create(_storage, Directory, _nextOffset, Settings.IndexIntervalBytes, Settings.PreallocationStep, Settings.ZeroFill);
        _segments = [.. _segments, segment];
        _directoryDirty = true;
        return segment;
    }

    private PartitionFailedException FailLocked(Exception cause)
    {
        if (_failure is null)
        {
            _failure = new PartitionFailedException(Topic, Id, cause);
            _failedAt = _time.GetTimestamp();
            _failedAtWall = _time.GetUtcNow();
            _generation++;
            LogEvents.PartitionFailed(_logger, cause, Topic, Id);
            _metrics.PartitionFailures.Add(1, _topicTag);
            _flushed.TrySetException(_failure);
            StartReopenLocked();
        }
        return _failure;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
