using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using EdgeStream.Log.Cursors;
using EdgeStream.Log.Diagnostics;
using EdgeStream.Log.Format;
using EdgeStream.Log.Partitions;
using EdgeStream.Log.Retention;
using EdgeStream.Log.Storage;
using EdgeStream.Log.Topics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStream.Log;

/// <summary>
/// The log: topics split into partitions, each an ordered, durable sequence of records with dense 0-based offsets,
/// stored as segment files under <see cref="LogOptions.DataDirectory"/> (<c>topics/{topic}/{partition}/</c>) with
/// named cursors under <c>cursors/</c>. Open one per data directory per process.
/// Thread-safe: any number of appenders and readers on any partitions at once.
/// </summary>
public sealed partial class LogStore : IAsyncDisposable
{
    private readonly LogOptions _options;
    private readonly ILogStorage _storage;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LogMetrics _metrics = new();
    private readonly DiskBudget _budget;
    private readonly CursorStore _cursors;
    private readonly string _topicsRoot;
    private readonly ConcurrentDictionary<string, TopicLog> _topics = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly DirectoryLock _lock;
    private Task _retention = Task.CompletedTask;
    private int _disposed;

    private LogStore(LogOptions options, ILogStorage storage, TimeProvider time, ILogger logger)
    {
        _options = options;
        _storage = storage;
        _time = time;
        _logger = logger;
        CommitPolicy = CommitPolicy.Parse(options.CommitPolicy);
        var root = Path.GetFullPath(options.DataDirectory);
        DataDirectory = root;
        storage.CreateDirectory(root);
        _lock = DirectoryLock.Acquire(root);
        _topicsRoot = Path.Combine(root, "topics");
        storage.CreateDirectory(_topicsRoot);
        _budget = new DiskBudget(options, storage, time, root);
        _cursors = new CursorStore(storage, Path.Combine(root, "cursors"), time, logger);
        // Newly created topics/ and cursors/ (and the data directory itself) must survive a power cut as entries.
        storage.SyncDirectory(root);
        if (Path.GetDirectoryName(root) is { } parent)
        {
            storage.SyncDirectory(parent);
        }
        _metrics.ObserveTopicSizes(() => _topics.Values.Select(t =>
            new Measurement<long>(t.Partitions.Sum(p => p.SizeBytes), new KeyValuePair<string, object?>("topic", t.Name))));
        ObserveHealth();
        _metrics.ObserveStore(() => _topics.Values.Select(t => new Measurement<long>(t.Partitions.Length, new KeyValuePair<string, object?>("topic", t.Name))),
            () => _budget.Used, options.MaxDiskBytes);
    }

    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="options"/>.DataDirectory, recovering every partition:
    /// only data written after the last recovery checkpoint is scanned; a torn or corrupt tail is truncated and logged.
    /// The directory is locked for this process until disposal.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names the key.</exception>
    /// <exception cref="LogException">Another process has the data directory open.</exception>
    public static Task<LogStore> OpenAsync(LogOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
        => OpenAsync(options, FileLogStorage.Instance, loggerFactory, timeProvider, cancellationToken);

    internal static async Task<LogStore> OpenAsync(LogOptions options, ILogStorage storage, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("EdgeStream.Log");
        var store = new LogStore(options, storage, timeProvider ?? TimeProvider.System, logger);
        try
        {
            // Recovery is synchronous file work: keep it off the caller's thread.
            await Task.Run(store.OpenTopics, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        store._retention = Task.Run(() => store.RetentionLoopAsync(store._stop.Token), CancellationToken.None);
        LogEvents.Opened(logger, Path.GetFullPath(options.DataDirectory), store._topics.Count, store._topics.Values.Sum(t => t.Partitions.Length), store.CommitPolicy.ToString());
        return store;
    }

    /// <summary>The commit policy in force.</summary>
    public CommitPolicy CommitPolicy { get; }

    /// <summary>
    /// The data directory (full path), locked for this process: components that keep small state files of their own
    /// beside the log (the MQTT broker's retained messages) put them in a subdirectory of it.
    /// </summary>
    internal string DataDirectory { get; }

    /// <summary>The file system the log goes through, so such state files share its fault injection in tests.</summary>
    internal ILogStorage Storage => _storage;

    /// <summary>
    /// False once the log is disposed (closed as a whole). Components use it to tell a failure of one partition or
    /// record (contain it, retry) from the whole log being gone (stop).
    /// </summary>
    public bool IsOpen => Volatile.Read(ref _disposed) == 0;

    /// <summary>
    /// Appends one record to <paramref name="topic"/>: a keyed record goes to <c>hash(key) % partitions</c> (xxHash32,
    /// stable across restarts and versions), an unkeyed one round-robin. Returns once written; under
    /// <see cref="CommitMode.Always"/> only once durable.
    /// </summary>
    /// <exception cref="LogFullException">The disk budget refuses the append; nothing was stored.</exception>
    /// <exception cref="ArgumentException">The topic name is invalid.</exception>
    public ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var t = Topic(topic);
        var partition = record.Key is { } key ? t.PartitionFor(key.Span) : t.NextRoundRobin();
        return AppendCoreAsync(t, partition, [record], cancellationToken);
    }

    /// <summary>
    /// Appends records to one partition as one batch (one checksum, one compression frame, contiguous offsets).
    /// The fast path for ingest that already groups records.
    /// </summary>
    /// <exception cref="LogFullException">The disk budget refuses the append; nothing was stored.</exception>
    public ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return AppendCoreAsync(Topic(topic), partition, records, cancellationToken);
    }

    /// <summary>The partition a key maps to.</summary>
    public int PartitionFor(string topic, ReadOnlySpan<byte> key) => Topic(topic).PartitionFor(key);

    /// <summary>Completes once <paramref name="offset"/> of the partition is durable (fsynced) under the commit policy.</summary>
    /// <exception cref="PartitionFailedException">The fsync covering the offset failed.</exception>
    public ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken = default)
        => Existing(topic).Partition(partition).WaitForDurableAsync(offset, cancellationToken);

    /// <summary>Forces an fsync of everything appended so far, in every partition.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
        => Task.WhenAll(_topics.Values.SelectMany(t => t.Partitions).Select(p => p.FlushAsync(cancellationToken)));

    /// <summary>
    /// Reads durable records from <paramref name="fromOffset"/>, within <paramref name="limits"/>. An offset below the
    /// partition's start begins at the start; at or past the durable end returns no records.
    /// </summary>
    /// <remarks>Damaged batches are never returned: they are skipped (see <see cref="GetCorruptions"/>), and
    /// <see cref="ReadResult.NextOffset"/> moves past them. Synchronous: it reads the segment files on the calling
    /// thread (mostly from the page cache), within <paramref name="limits"/>; to wait for records that are not there
    /// yet, use <see cref="WaitForRecordsAsync"/>.</remarks>
    /// <exception cref="PartitionParkedException">Damage parked the partition (<c>Log:OnCorruption = stop-partition</c>).</exception>
    public ReadResult Read(string topic, int partition, long fromOffset, ReadLimits limits)
        => Existing(topic).Partition(partition).Read(fromOffset, limits);

    /// <summary>
    /// The first offset whose timestamp is at or after <paramref name="timestamp"/>, or the durable end if none.
    /// Synchronous: it reads the time indexes on the calling thread.
    /// </summary>
    public long FindOffset(string topic, int partition, DateTimeOffset timestamp)
        => Existing(topic).Partition(partition).FindOffset(timestamp);

    /// <summary>Completes when a durable record exists at <paramref name="offset"/> (no polling: woken by the flusher).</summary>
    public Task WaitForRecordsAsync(string topic, int partition, long offset, CancellationToken cancellationToken = default)
        => Existing(topic).Partition(partition).WaitForRecordsAsync(offset, cancellationToken);

    /// <summary>Reads from <paramref name="fromOffset"/> for ever, waiting for new durable records as they arrive.</summary>
    public async IAsyncEnumerable<StoredRecord> TailAsync(string topic, int partition, long fromOffset, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var log = Existing(topic).Partition(partition);
        var next = fromOffset;
        while (true)
        {
            var result = log.Read(next, ReadLimits.Default);
            foreach (var record in result.Records)
            {
                yield return record;
            }
            next = result.NextOffset;
            if (result.Records.Count == 0)
            {
                await log.WaitForRecordsAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Creates <paramref name="topic"/> if it does not exist (with its configured settings) and returns it.</summary>
    /// <exception cref="ArgumentException">The topic name is invalid.</exception>
    public TopicInfo EnsureTopic(string topic) => Snapshot(Topic(topic));

    /// <summary>Snapshots of every topic, by name.</summary>
    public IReadOnlyList<TopicInfo> GetTopics()
        => [.. _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(Snapshot)];

    /// <summary>A snapshot of one topic, or <c>null</c> if it does not exist.</summary>
    public TopicInfo? GetTopic(string topic) => _topics.TryGetValue(topic, out var t) ? Snapshot(t) : null;

    /// <summary>
    /// Damaged data found since the log was opened, per partition that has any: ranges readers skip (logged and counted
    /// once each), and whether the partition is parked by <c>Log:OnCorruption = stop-partition</c>.
    /// </summary>
    public IReadOnlyList<PartitionCorruption> GetCorruptions()
        => [.. _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).SelectMany(t => t.Partitions)
            .Where(p => p.ParkedBy is not null || p.Corruptions.Count > 0)
            .Select(p => new PartitionCorruption(p.Topic, p.Id, p.ParkedBy is not null, p.Corruptions))];

    /// <summary>
    /// Durably records that cursor <paramref name="name"/> has consumed everything below <paramref name="nextOffset"/>
    /// in the partition (write-temp, fsync, rename). Retention keeps what a cursor has not passed (see
    /// <see cref="TopicSettings.KeepUnconsumed"/>). The commit is queued to the log's cursor flusher, which writes every
    /// commit queued meanwhile in one go (group commit); this completes once the new position is durable, and no
    /// caller's thread blocks in fsync. Cancelling stops the wait, not the commit.
    /// </summary>
    /// <exception cref="IOException">The write or fsync failed; the cursor keeps its previous position.</exception>
    public Task CommitCursorAsync(string name, string topic, int partition, long nextOffset, CancellationToken cancellationToken = default)
    {
        Existing(topic).Partition(partition);
        return _cursors.CommitAsync(name, topic, partition, nextOffset, cancellationToken);
    }

    /// <summary>The committed next offset of a cursor, or <c>null</c> if it never committed.</summary>
    public long? GetCursor(string name, string topic, int partition) => _cursors.Get(name, topic, partition);

    /// <summary>Every committed cursor position.</summary>
    public IReadOnlyList<CursorPosition> GetCursors() => _cursors.All();

    /// <summary>
    /// Deletes every record of <paramref name="topic"/> stored so far, in every partition (for an operator clearing
    /// dead letters). The topic stays, and offsets are never reused: each partition restarts, empty, at its old next
    /// offset, so cursors remain valid. Returns the number of records deleted.
    /// </summary>
    /// <exception cref="UnknownTopicException">No such topic.</exception>
    public async Task<long> PurgeTopicAsync(string topic, CancellationToken cancellationToken = default)
    {
        long records = 0;
        foreach (var partition in Existing(topic).Partitions)
        {
            records += (await partition.PurgeAsync(cancellationToken).ConfigureAwait(false)).Records;
        }
        return records;
    }

    /// <summary>Runs retention once, now (it also runs every <see cref="LogOptions.RetentionCheckInterval"/>).</summary>
    public async Task EnforceRetentionAsync(CancellationToken cancellationToken = default)
    {
        await ExpireIdleCursorsAsync(cancellationToken).ConfigureAwait(false);
        var budgetFull = _budget.Check(0) is not null;
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var lowest = _cursors.LowestCursor(topic.Name, partition.Id);
                var blocked = partition.ApplyRetention(lowest?.NextOffset, budgetFull);
                TrackBlocked(topic.Name, partition.Id, blocked > 0 ? lowest : null, blocked);
            }
        }
    }

    /// <summary>Flushes, writes recovery checkpoints and closes every file. Appends after this fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _retention.ConfigureAwait(false);
        await _cursors.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_topics.Values.SelectMany(t => t.Partitions).Select(p => p.CloseAsync())).ConfigureAwait(false);
        _metrics.Dispose();
        _stop.Dispose();
        _lock.Dispose();
    }

    private async ValueTask<AppendResult> AppendCoreAsync(TopicLog topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var log = topic.Partition(partition);
        using var batch = RecordBatch.Encode(records, topic.Settings.Compression, _time);
        if (_budget.Check(batch.Length) is { } reason)
        {
            await MakeRoomAsync(topic, batch.Length, reason, cancellationToken).ConfigureAwait(false);
        }
        var result = log.Append(batch);
        if (CommitPolicy.Mode == CommitMode.Always)
        {
            await log.WaitForDurableAsync(result.LastOffset, cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// The budget refused <paramref name="bytes"/> for <paramref name="reason"/>: drops the topic's oldest segments if
    /// its policy says so, or throws. Not on the hot path, so the check that passes costs no async call.
    /// </summary>
    private async ValueTask MakeRoomAsync(TopicLog topic, int bytes, string reason, CancellationToken cancellationToken)
    {
        if (topic.Settings.WhenFull == DiskFullPolicy.DropOldest)
        {
            // Oldest first across the topic's partitions, one segment at a time, until the append fits. A segment is
            // deletable once durable, so when none is, flush once and look again.
            var flushed = false;
            string? left = reason;
            while (left is not null)
            {
                var victim = topic.Partitions
                    .Select(p => (Partition: p, Oldest: p.OldestDeletableTimestamp()))
                    .Where(x => x.Oldest is not null)
                    .OrderBy(x => x.Oldest)
                    .Select(x => x.Partition)
                    .FirstOrDefault();
                if (victim is null || !victim.DropOldestForBudget())
                {
                    if (flushed)
                    {
                        break;
                    }
                    flushed = true;
                    await Task.WhenAll(topic.Partitions.Select(p => p.FlushAsync(cancellationToken))).ConfigureAwait(false);
                }
                left = _budget.Check(bytes);
            }
            if (left is null)
            {
                return;
            }
            reason = left + "; no older segment of the topic is left to drop";
        }
        _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("topic", topic.Name));
        throw new LogFullException(topic.Name, reason);
    }

    private TopicLog Topic(string name)
    {
        if (_topics.TryGetValue(name, out var topic))
        {
            return topic;
        }
        TopicName.Validate(name);
        if (!_options.AutoCreateTopics && !_options.Topics.ContainsKey(name))
        {
            throw new UnknownTopicException(name);
        }
        lock (_createLock)
        {
            if (_topics.TryGetValue(name, out topic))
            {
                return topic;
            }
            if (!TopicSettings.IsDeadLetterTopic(name) && _topics.Keys.Count(t => !TopicSettings.IsDeadLetterTopic(t)) >= _options.MaxTopics)
            {
                throw new TopicLimitException(name, _options.MaxTopics);
            }
            return OpenTopic(name, create: true);
        }
    }

    private TopicLog Existing(string name)
        => _topics.TryGetValue(name, out var topic) ? topic : throw new UnknownTopicException(name);

    private void OpenTopics()
    {
        foreach (var directory in _storage.Directories(_topicsRoot))
        {
            var name = Path.GetFileName(directory);
            if (TopicName.IsValid(name, out _))
            {
                OpenTopic(name, create: false);
            }
        }
        if (!_topics.IsEmpty)
        {
            // A process that crashed while creating a topic may have left its directory entry unsynced: it is in the
            // page cache, this process builds on it (acknowledges appends to it, rules snapshot past their outputs in
            // it), and a power cut would take the whole topic away.
            _storage.SyncDirectory(_topicsRoot);
        }
        foreach (var name in _options.Topics.Keys)
        {
            if (!_topics.ContainsKey(name))
            {
                OpenTopic(name, create: true);
            }
        }
    }

    private TopicLog OpenTopic(string name, bool create)
    {
        var settings = _options.SettingsFor(name).Clone();
        settings.PreallocationStep = Math.Min(_options.SegmentPreallocationBytes, settings.SegmentBytes);
        settings.ZeroFill = _options.SegmentZeroFill;
        var directory = TopicName.DirectoryFor(_topicsRoot, name);
        var stored = TopicLog.ReadPartitionCount(_storage, directory);
        var count = Math.Max(stored ?? 0, settings.Partitions);
        if (create || stored != count)
        {
            _storage.CreateDirectory(directory);
            TopicLog.WritePartitionCount(_storage, directory, count);
            _storage.SyncDirectory(_topicsRoot);
        }
        settings.Partitions = count;
        var partitions = new PartitionLog[count];
        for (var p = 0; p < count; p++)
        {
            partitions[p] = PartitionLog.Open(name, p, Path.Combine(directory, p.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                settings, CommitPolicy, _storage, _time, _logger, _metrics, _budget);
            partitions[p].StopOnCorruption = _options.StopPartitionOnCorruption;
            partitions[p].Start();
        }
        // New partition directories are entries of the topic directory; so are those a crashed process created
        // without syncing it.
        _storage.SyncDirectory(directory);
        var topic = new TopicLog(name, settings, partitions);
        _topics[name] = topic;
        return topic;
    }

    private async Task RetentionLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.RetentionCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await EnforceRetentionAsync(stop).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    // Retention retries next tick; appends are guarded by the disk budget meanwhile.
                    LogEvents.RetentionFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static TopicInfo Snapshot(TopicLog topic)
        => new(topic.Name, topic.Settings.Clone(), [.. topic.Partitions.Select(p =>
            new PartitionInfo(p.Id, p.StartOffset, p.NextOffset, p.DurableOffset, p.SizeBytes, p.SegmentCount))]);
}
