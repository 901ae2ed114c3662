using EdgeStream.Log;

namespace EdgeStream.Ingest.Mqtt;

/// <summary>
/// The two log operations ingest needs: append, then wait until the append is durable. Production uses
/// <see cref="LogStoreIngestLog"/>; tests wrap it to hold durability back and prove that no acknowledgement
/// leaves before the wait completes. Implementations must be thread-safe.
/// </summary>
internal interface IIngestLog
{
    /// <summary>Appends one record; see <see cref="LogStore.AppendAsync"/>.</summary>
    /// <exception cref="LogFullException">The disk budget refused the record; nothing was stored.</exception>
    ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken);

    /// <summary>Completes once the offset is durable; see <see cref="LogStore.WaitForDurableAsync"/>.</summary>
    ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken);
}

/// <summary>The production <see cref="IIngestLog"/>: the host's <see cref="LogStore"/>. Thread-safe.</summary>
internal sealed class LogStoreIngestLog(LogStore store) : IIngestLog
{
    public ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
        => store.AppendAsync(topic, record, cancellationToken);

    public ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
        => store.WaitForDurableAsync(topic, partition, offset, cancellationToken);
}
