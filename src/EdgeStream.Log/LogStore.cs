using Microsoft.Extensions.Logging;

namespace EdgeStream.Log;

/// <summary>
/// The log: topics split into partitions, each an ordered, durable sequence of records with dense 0-based offsets,
/// stored as segment files under <see cref="LogOptions.DataDirectory"/>. Open one per data directory per process.
/// Thread-safe: any number of appenders and readers on any partitions at once.
/// </summary>
public sealed partial class LogStore : IAsyncDisposable
{
    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="options"/>.DataDirectory, recovering every partition:
    /// only data written after the last recovery checkpoint is scanned; a torn or corrupt tail is truncated and logged.
    /// </summary>
    public static Task<LogStore> OpenAsync(LogOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>The commit policy in force.</summary>
    public CommitPolicy CommitPolicy => throw new NotImplementedException();

    /// <summary>
    /// Appends one record to <paramref name="topic"/>: a keyed record goes to <c>hash(key) % partitions</c> (xxHash32,
    /// stable across restarts and versions), an unkeyed one round-robin. Returns once written; under
    /// <see cref="CommitMode.Always"/> only once durable.
    /// </summary>
    /// <exception cref="LogFullException">The disk budget refuses the append; nothing was stored.</exception>
    /// <exception cref="ArgumentException">The topic name is invalid.</exception>
    public ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>
    /// Appends records to one partition as one batch (one checksum, one compression frame, contiguous offsets).
    /// The fast path for ingest that already groups records.
    /// </summary>
    public ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>The partition a key maps to (or the next round-robin partition for <c>null</c>).</summary>
    public int PartitionFor(string topic, ReadOnlySpan<byte> key)
        => throw new NotImplementedException();

    /// <summary>Completes once <paramref name="offset"/> of the partition is durable (fsynced) under the commit policy.</summary>
    /// <exception cref="PartitionFailedException">The fsync covering the offset failed.</exception>
    public ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Forces an fsync of everything appended so far, in every partition.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>
    /// Reads durable records from <paramref name="fromOffset"/>, within <paramref name="limits"/>. An offset below the
    /// partition's start begins at the start; at or past the durable end returns no records.
    /// </summary>
    /// <exception cref="CorruptBatchException">A stored batch fails its checksum; it is not returned.</exception>
    public Task<ReadResult> ReadAsync(string topic, int partition, long fromOffset, ReadLimits limits, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>The first offset whose timestamp is at or after <paramref name="timestamp"/>, or the durable end if none.</summary>
    public Task<long> FindOffsetAsync(string topic, int partition, DateTimeOffset timestamp, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Completes when a durable record exists at <paramref name="offset"/> (no polling: woken by the flusher).</summary>
    public Task WaitForRecordsAsync(string topic, int partition, long offset, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Reads from <paramref name="fromOffset"/> for ever, waiting for new durable records as they arrive.</summary>
    public IAsyncEnumerable<StoredRecord> TailAsync(string topic, int partition, long fromOffset, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Creates <paramref name="topic"/> if it does not exist (with its configured settings) and returns it.</summary>
    public TopicInfo EnsureTopic(string topic)
        => throw new NotImplementedException();

    /// <summary>Snapshots of every topic, by name.</summary>
    public IReadOnlyList<TopicInfo> GetTopics()
        => throw new NotImplementedException();

    /// <summary>A snapshot of one topic, or <c>null</c> if it does not exist.</summary>
    public TopicInfo? GetTopic(string topic)
        => throw new NotImplementedException();

    /// <summary>
    /// Durably records that cursor <paramref name="name"/> has consumed everything below <paramref name="nextOffset"/>
    /// in the partition (write-temp, fsync, rename). Retention keeps what a cursor has not passed (see
    /// <see cref="TopicSettings.KeepUnconsumed"/>).
    /// </summary>
    public Task CommitCursorAsync(string name, string topic, int partition, long nextOffset, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>The committed next offset of a cursor, or <c>null</c> if it never committed.</summary>
    public long? GetCursor(string name, string topic, int partition)
        => throw new NotImplementedException();

    /// <summary>Every committed cursor position.</summary>
    public IReadOnlyList<CursorPosition> GetCursors()
        => throw new NotImplementedException();

    /// <summary>Runs retention and the disk budget once, now (it also runs every <see cref="LogOptions.RetentionCheckInterval"/>).</summary>
    public Task EnforceRetentionAsync(CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Flushes, writes recovery checkpoints and closes every file.</summary>
    public ValueTask DisposeAsync()
        => throw new NotImplementedException();
}
