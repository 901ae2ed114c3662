namespace EdgeStream.Ingest.Sensors.Runtime;

/// <summary>Where serialized readings go; the log in production. Implementations are thread-safe.</summary>
internal interface ISensorRecordSink
{
    ValueTask AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, DateTimeOffset timestamp, CancellationToken cancellationToken);
}
