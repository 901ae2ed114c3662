using System.Text;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// What an MQTT 5 client asked of the server's PUBLISH packets in its CONNECT, applied on the way out, where MQTTnet's
/// server does not: at most Receive Maximum QoS 1/2 publishes unacknowledged at once (later ones wait here, in order,
/// bounded), none larger than the client's Maximum Packet Size (dropped, and acknowledged towards MQTTnet's session as
/// the specification's "as if it had completed sending", MQTT-3.1.2-25), and topic aliases up to the client's Topic
/// Alias Maximum (the first publish on a topic sets the alias, later ones send only the alias). State of one
/// connection; aliases die with it. Thread-safe: MQTTnet's send loop and the receive loop (acknowledgements) call in.
/// </summary>
internal sealed class OutboundPublishes
{
    private readonly object _gate = new();
    private readonly int _receiveMaximum;
    private readonly uint _maximumPacketSize;
    private readonly int _topicAliasMaximum;
    private readonly int _maxWaiting;
    private readonly HashSet<ushort> _inFlight = [];
    private readonly Queue<MqttPublishPacket> _waiting = new();
    private readonly Dictionary<string, ushort> _aliases = new(StringComparer.Ordinal);

    /// <param name="connect">The client's CONNECT (MQTT 5 properties; 0 means "not given").</param>
    /// <param name="maxWaiting">How many QoS 1/2 publishes may wait for a free Receive Maximum slot before new ones are dropped.</param>
    public OutboundPublishes(MqttConnectPacket connect, int maxWaiting)
    {
        _receiveMaximum = connect.ReceiveMaximum == 0 ? ushort.MaxValue : connect.ReceiveMaximum;
        _maximumPacketSize = connect.MaximumPacketSize;
        _topicAliasMaximum = connect.TopicAliasMaximum;
        _maxWaiting = Math.Max(1, maxWaiting);
    }

    /// <summary>QoS 1/2 publishes waiting for a free Receive Maximum slot.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>The decision for one PUBLISH MQTTnet wants to send.</summary>
    public OutboundDecision Offer(MqttPublishPacket publish)
    {
        // Measured with the topic name: whether an alias will replace it is only known when it is sent.
        if (_maximumPacketSize != 0 && PublishPacketSize.Of(publish) > _maximumPacketSize)
        {
            return OutboundDecision.TooLarge;
        }
        if (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return OutboundDecision.Send;
        }
        lock (_gate)
        {
            if (_waiting.Count == 0 && _inFlight.Count < _receiveMaximum)
            {
                _inFlight.Add(publish.PacketIdentifier);
                return OutboundDecision.Send;
            }
            if (_waiting.Count >= _maxWaiting)
            {
                return OutboundDecision.QueueFull;
            }
            _waiting.Enqueue(publish);
            return OutboundDecision.Held;
        }
    }

    /// <summary>
    /// The client acknowledged (PUBACK, PUBCOMP, or a PUBREC refusing) <paramref name="packetId"/>: frees its slot and
    /// returns the publishes that may now go, in order.
    /// </summary>
    public IReadOnlyList<MqttPublishPacket> Completed(ushort packetId)
    {
        lock (_gate)
        {
            if (!_inFlight.Remove(packetId) || _waiting.Count == 0)
            {
                return [];
            }
            var released = new List<MqttPublishPacket>();
            while (_waiting.Count > 0 && _inFlight.Count < _receiveMaximum)
            {
                var next = _waiting.Dequeue();
                _inFlight.Add(next.PacketIdentifier);
                released.Add(next);
            }
            return released;
        }
    }

    /// <summary>
    /// The topic alias to send <paramref name="publish"/> with (0: none) and whether the topic name can be left out
    /// (the client already knows the alias). Callers send packets in the order they ask, one at a time.
    /// </summary>
    public (ushort Alias, bool TopicOmitted) ApplyAlias(MqttPublishPacket publish)
    {
        if (_topicAliasMaximum == 0 || string.IsNullOrEmpty(publish.Topic))
        {
            return (0, false);
        }
        lock (_gate)
        {
            if (_aliases.TryGetValue(publish.Topic, out var known))
            {
                return (known, true);
            }
            if (_aliases.Count >= _topicAliasMaximum)
            {
                return (0, false); // every alias is taken: this topic goes by name
            }
            var alias = (ushort)(_aliases.Count + 1);
            _aliases.Add(publish.Topic, alias);
            return (alias, false);
        }
    }
}

/// <summary>What to do with an outbound PUBLISH.</summary>
internal enum OutboundDecision
{
    /// <summary>Send it now.</summary>
    Send,

    /// <summary>The client's Receive Maximum is reached: it waits and goes when an acknowledgement frees a slot.</summary>
    Held,

    /// <summary>Larger than the client's Maximum Packet Size: dropped.</summary>
    TooLarge,

    /// <summary>Too many publishes already wait for the client's Receive Maximum: dropped.</summary>
    QueueFull,
}

/// <summary>The encoded size of an MQTT 5 PUBLISH, computed from the packet without encoding it.</summary>
internal static class PublishPacketSize
{
    public static long Of(MqttPublishPacket publish)
    {
        long properties = 0;
        if (publish.PayloadFormatIndicator != MqttPayloadFormatIndicator.Unspecified)
        {
            properties += 2;
        }
        if (publish.MessageExpiryInterval != 0)
        {
            properties += 5;
        }
        if (publish.TopicAlias != 0)
        {
            properties += 3;
        }
        properties += StringProperty(publish.ResponseTopic) + StringProperty(publish.ContentType);
        if (publish.CorrelationData is { } correlation)
        {
            properties += 3 + correlation.Length;
        }
        foreach (var p in publish.UserProperties ?? [])
        {
            properties += 1 + 2 + Encoding.UTF8.GetByteCount(p.Name) + 2 + p.ValueBuffer.Length;
        }
        foreach (var id in publish.SubscriptionIdentifiers ?? [])
        {
            properties += 1 + VariableIntLength(id);
        }
        var topic = Encoding.UTF8.GetByteCount(publish.Topic ?? "");
        var body = 2 + topic
            + (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? 0 : 2)
            + VariableIntLength(properties) + properties
            + publish.Payload.Length;
        return 1 + VariableIntLength(body) + body;
    }

    private static long StringProperty(string? value) => value is null ? 0 : 3 + Encoding.UTF8.GetByteCount(value);

    private static int VariableIntLength(long value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };
}
