using System.Diagnostics.Metrics;

namespace EdgeStream.Ingest.Mqtt;

/// <summary>
/// Instruments of meter <c>EdgeStream.Mqtt</c>: messages received, acknowledged (after durability) and rejected (tag
/// <c>reason</c>), and the receive-to-ack latency. Thread-safe.
/// </summary>
internal sealed class MqttIngestMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Mqtt";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _acked;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _ackLatency;
    private readonly Counter<long> _connectionsRefused;

    public MqttIngestMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _received = _meter.CreateCounter<long>("edgestream.mqtt.messages.received", "{message}", "PUBLISH packets received (embedded broker and upstreams).");
        _acked = _meter.CreateCounter<long>("edgestream.mqtt.messages.acked", "{message}", "Messages acknowledged after they were durable.");
        _rejected = _meter.CreateCounter<long>("edgestream.mqtt.messages.rejected", "{message}", "Messages refused, by reason.");
        _ackLatency = _meter.CreateHistogram<double>("edgestream.mqtt.ack.latency", "ms", "Time from receiving a PUBLISH to sending its acknowledgement.");
        _connectionsRefused = _meter.CreateCounter<long>("edgestream.mqtt.connections.refused", "{connection}",
            "Connections refused or closed by a connection-level bound or at CONNECT, by reason.");
        // The sources are known: both series exist from the start, at zero.
        foreach (var source in (string[])["broker", "upstream"])
        {
            _received.Add(0, new KeyValuePair<string, object?>("source", source));
            _acked.Add(0, new KeyValuePair<string, object?>("source", source));
        }
    }

    /// <summary>The meter, so listeners can pick this instance's instruments.</summary>
    public Meter Meter => _meter;

    public void Received(string source) => _received.Add(1, new KeyValuePair<string, object?>("source", source));

    public void Acked(string source, TimeSpan latency)
    {
        _acked.Add(1, new KeyValuePair<string, object?>("source", source));
        _ackLatency.Record(latency.TotalMilliseconds, new KeyValuePair<string, object?>("source", source));
    }

    /// <summary>Publishes <c>edgestream.mqtt.connections</c>, the embedded broker's live connections, from <paramref name="count"/>.</summary>
    public void ObserveConnections(Func<int> count)
        => _meter.CreateObservableUpDownCounter("edgestream.mqtt.connections", count, "{connection}", "Client connections of the embedded broker.");

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A connection refused at accept or CONNECT, or closed by a bound (packet size, CONNECT timeout).</summary>
    public void ConnectionClosed(string reason) => _connectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Publishes the number of connections that have not completed CONNECT (one source per broker).</summary>
    public void ObservePendingConnections(Func<int> pending)
        => _meter.CreateObservableGauge("edgestream.mqtt.connections.pending", pending, "{connection}", "Connections accepted that have not completed CONNECT.");

    /// <summary>Publishes <c>edgestream.mqtt.queued.bytes</c>, bytes queued for delivery to sessions, from <paramref name="bytes"/>.</summary>
    public void ObserveQueuedBytes(Func<long> bytes)
        => _meter.CreateObservableGauge("edgestream.mqtt.queued.bytes", bytes, "By", "Bytes of messages queued for delivery to sessions (payload, topic and properties).");

    public void Dispose() => _meter.Dispose();
}
