namespace EdgeStream.Ingest.Mqtt;

/// <summary>
/// Supplies each forwarding sink's lag for the embedded broker's <c>$SYS/broker/edgestream/sinks/{sink}/lag</c>
/// statistic. MQTT ingest does not reference forwarding (dependencies point inward): the host registers an
/// implementation, e.g. with <see cref="Microsoft.Extensions.DependencyInjection.MqttIngestServiceCollectionExtensions.AddMqttSinkLag"/>.
/// Called from the statistics loop every <c>Mqtt:SysInterval</c>; implementations must be thread-safe and cheap.
/// </summary>
public interface ISinkLagSource
{
    /// <summary>The current lag of every sink.</summary>
    IEnumerable<SinkLag> GetSinkLags();
}

/// <summary>One sink's lag: durable records of all its partitions that the sink has not confirmed upstream yet.</summary>
/// <param name="Sink">Sink name (a valid log topic name, so a safe topic level).</param>
/// <param name="LagRecords">Records not yet confirmed upstream.</param>
public readonly record struct SinkLag(string Sink, long LagRecords);
