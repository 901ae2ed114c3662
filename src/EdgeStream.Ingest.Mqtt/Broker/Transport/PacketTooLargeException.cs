using MQTTnet.Exceptions;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// A fixed header announced a packet larger than the connection's limit. Thrown by <see cref="FrameGuardChannel"/>
/// before the body is read or allocated.
/// </summary>
internal sealed class PacketTooLargeException(long size, int limit, bool connect)
    : MqttProtocolViolationException($"packet of {size} bytes exceeds the limit of {limit} bytes{(connect ? " for CONNECT" : "")}")
{
    public long Size { get; } = size;

    public int Limit { get; } = limit;

    /// <summary>The oversized packet was the first one (CONNECT): no CONNACK/DISCONNECT can carry a reason code.</summary>
    public bool IsConnect { get; } = connect;
}
