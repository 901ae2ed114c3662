using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>Appends readings to the <see cref="LogStore"/> as keyed records tagged <c>content-type: application/json</c>.</summary>
internal sealed class LogStoreRecordSink(LogStore store) : ISensorRecordSink
{
    private static readonly RecordHeader[] Headers = [new("content-type", Encoding.UTF8.GetBytes("application/json"))];

    public async ValueTask AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, DateTimeOffset timestamp, CancellationToken cancellationToken)
        => await store.AppendAsync(topic, new LogRecord(value, key, timestamp, Headers), cancellationToken).ConfigureAwait(false);
}
