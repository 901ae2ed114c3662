using System.Diagnostics;
using EdgeStream.Log.Diagnostics;

namespace EdgeStream.Log.Ingest;

/// <summary>The production <see cref="IIngestWriter"/>: the log, with the source's metrics. Thread-safe.</summary>
internal sealed class LogIngestWriter : IIngestWriter
{
    private readonly LogStore _store;
    private readonly IngestMetrics _metrics;
    private readonly KeyValuePair<string, object?> _sourceTag;

    public LogIngestWriter(LogStore store, string source, IngestMetrics metrics)
    {
        _store = store;
        _metrics = metrics;
        Source = source;
        _sourceTag = new("source", source);
        metrics.Register(_sourceTag);
    }

    public string Source { get; }

    public TopicInfo EnsureTopic(string topic) => _store.EnsureTopic(topic);

    public int PartitionFor(string topic, ReadOnlySpan<byte> key) => _store.PartitionFor(topic, key);

    public async ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            var result = await _store.AppendAsync(topic, record, cancellationToken).ConfigureAwait(false);
            _metrics.Appended(_sourceTag, 1, Bytes(record));
            return result;
        }
        catch (Exception e) when (IngestMetrics.Reason(e) is { } reason)
        {
            _metrics.Failed(_sourceTag, reason);
            throw;
        }
    }

    public async ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        try
        {
            var result = await _store.AppendBatchAsync(topic, partition, records, cancellationToken).ConfigureAwait(false);
            long bytes = 0;
            foreach (var record in records)
            {
                bytes += Bytes(record);
            }
            _metrics.Appended(_sourceTag, records.Count, bytes);
            return result;
        }
        catch (Exception e) when (IngestMetrics.Reason(e) is { } reason)
        {
            _metrics.Failed(_sourceTag, reason);
            throw;
        }
    }

    public async ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _store.WaitForDurableAsync(topic, partition, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IngestMetrics.Reason(e) is { } reason)
        {
            _metrics.Failed(_sourceTag, reason);
            throw;
        }
        _metrics.DurableWait(_sourceTag, Stopwatch.GetElapsedTime(started));
    }

    // What the sender sent: key, value and header values (not the log's framing).
    private static long Bytes(LogRecord record)
    {
        long bytes = record.Value.Length + (record.Key?.Length ?? 0);
        var headers = record.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            bytes += headers[i].Value.Length;
        }
        return bytes;
    }
}
