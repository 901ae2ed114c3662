namespace EdgeStream.Log.Ingest;

/// <summary>
/// An <see cref="IIngestWriter"/> that passes every call to an inner writer: derive from it to observe or hold back
/// some calls (a test holding durability back, a source adding its own accounting) and override only those.
/// Thread-safe if the overrides are.
/// </summary>
public abstract class DelegatingIngestWriter(IIngestWriter inner) : IIngestWriter
{
    /// <summary>The writer calls go to.</summary>
    protected IIngestWriter Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public virtual string Source => Inner.Source;

    /// <inheritdoc />
    public virtual TopicInfo EnsureTopic(string topic) => Inner.EnsureTopic(topic);

    /// <inheritdoc />
    public virtual int PartitionFor(string topic, ReadOnlySpan<byte> key) => Inner.PartitionFor(topic, key);

    /// <inheritdoc />
    public virtual ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
        => Inner.AppendAsync(topic, record, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
        => Inner.AppendBatchAsync(topic, partition, records, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
        => Inner.WaitForDurableAsync(topic, partition, offset, cancellationToken);
}
