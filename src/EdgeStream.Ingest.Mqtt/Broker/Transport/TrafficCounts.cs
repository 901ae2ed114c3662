namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// Bytes and MQTT packets through the broker's listeners, from the broker's side (received = from clients). One
/// connection's counts or the sum over connections. Immutable.
/// </summary>
internal readonly record struct TrafficCounts(long BytesReceived, long BytesSent, long PacketsReceived, long PacketsSent, long PublishReceived, long PublishSent)
{
    public static TrafficCounts operator +(TrafficCounts a, TrafficCounts b)
        => new(a.BytesReceived + b.BytesReceived, a.BytesSent + b.BytesSent, a.PacketsReceived + b.PacketsReceived, a.PacketsSent + b.PacketsSent,
            a.PublishReceived + b.PublishReceived, a.PublishSent + b.PublishSent);
}
