namespace EdgeStream.Log.Ingest;

/// <summary>
/// One ingest source's way into the log (MQTT, sensors, HTTP, stream processors, …): append records, then wait until
/// they are durable before acknowledging anything to the sender. Each source gets its own writer, named by
/// <see cref="Source"/>, so every append, byte, error and durability wait is counted under its source (meter
/// <c>EdgeStream.Ingest</c>). Production writers come from <see cref="LogIngest.Writer"/>; tests may wrap one to hold
/// durability back. Implementations are thread-safe.
/// </summary>
/// <remarks>
/// Limits surface as the log's exceptions, unchanged: <see cref="LogFullException"/> (disk budget; nothing stored),
/// <see cref="PartitionFailedException"/> (write or fsync failed; the partition reopens itself),
/// <see cref="PartitionParkedException"/>, <see cref="UnknownTopicException"/> (<c>Log:AutoCreateTopics</c> is off),
/// <see cref="TopicLimitException"/> (a new topic beyond <c>Log:MaxTopics</c>),
/// <see cref="ArgumentException"/> (invalid topic name, batch over the size limit).
/// </remarks>
public interface IIngestWriter
{
    /// <summary>The source name the writer's metrics carry (tag <c>source</c>), e.g. <c>mqtt</c>.</summary>
    string Source { get; }

    /// <summary>Creates <paramref name="topic"/> if it does not exist (and the log allows it) and returns it.</summary>
    /// <exception cref="UnknownTopicException">The topic does not exist and may not be created.</exception>
    /// <exception cref="ArgumentException">The topic name is invalid.</exception>
    TopicInfo EnsureTopic(string topic);

    /// <summary>The partition of <paramref name="topic"/> a key maps to (as <see cref="AppendAsync"/> places it).</summary>
    int PartitionFor(string topic, ReadOnlySpan<byte> key);

    /// <summary>
    /// Appends one record: a keyed record to its key's partition, an unkeyed one round-robin. Returns once written, not
    /// once durable (except under commit policy <c>always</c>): await <see cref="WaitForDurableAsync"/> before acknowledging.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken);

    /// <summary>Appends records to one partition as one batch: stored whole or not at all, with contiguous offsets.</summary>
    ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken);

    /// <summary>Completes once <paramref name="offset"/> of the partition is durable under the log's commit policy.</summary>
    /// <exception cref="PartitionFailedException">The fsync covering the offset failed: the record is not stored.</exception>
    ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken);
}
