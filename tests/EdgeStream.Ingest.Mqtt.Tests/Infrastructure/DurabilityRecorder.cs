using System.Collections.Concurrent;
using System.Text;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>
/// Wraps the real log and records, per payload, where it was appended and, per partition, the highest offset whose
/// durability wait has completed — so a test can check at the moment a PUBACK arrives that its message was durable.
/// </summary>
internal sealed class DurabilityRecorder(IIngestWriter inner) : DelegatingIngestWriter(inner)
{
    private readonly ConcurrentDictionary<string, (string Topic, int Partition, long Offset)> _appended = new();
    private readonly ConcurrentDictionary<(string, int), long> _durable = new();

    public override async ValueTask<AppendResult> AppendAsync(string topic, LogRecord record, CancellationToken cancellationToken)
    {
        var result = await Inner.AppendAsync(topic, record, cancellationToken);
        _appended[Encoding.UTF8.GetString(record.Value.Span)] = (topic, result.Partition, result.LastOffset);
        return result;
    }

    public override async ValueTask WaitForDurableAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
    {
        await Inner.WaitForDurableAsync(topic, partition, offset, cancellationToken);
        _durable.AddOrUpdate((topic, partition), offset, (_, old) => Math.Max(old, offset));
    }

    /// <summary>True if the message with this payload was appended and its offset is known durable.</summary>
    public bool IsDurable(string payload)
        => _appended.TryGetValue(payload, out var at) && _durable.TryGetValue((at.Topic, at.Partition), out var durable) && durable >= at.Offset;
}
