using EdgeStream.Log;
using EdgeStream.Log.Ingest;

namespace EdgeStream.Ingest.Sensors.Tests.Support;

/// <summary>An ingest writer that stores nothing, for tests that never look at the log.</summary>
internal sealed class NullIngestWriter : IIngestWriter
{
    public string Source => "null";

    public TopicInfo EnsureTopic(string topic) => throw new NotSupportedException();

    public int PartitionFor(string topic, ReadOnlySpan<byte> key) => 0;

    public ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
        => ValueTask.FromResult(new AppendResult(0, 0, 1));

    public ValueTask<AppendResult> AppendBatchAsync(string topic, int partition, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
        => ValueTask.FromResult(new AppendResult(partition, 0, records.Count));

    public ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
