using System.Buffers;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Message Expiry Interval (MQTT 5 §3.3.2.3.3), which MQTTnet's server forwards unchanged and never enforces: a copy
/// queued for a subscriber (offline sessions included) or kept as a retained message is not delivered once its
/// interval has passed, and a delivered copy carries the interval minus the time it waited here. MQTTnet copies the
/// message into one PUBLISH packet per subscriber sharing the payload buffer, so the receive time is attached to a
/// payload buffer of the message's own; the table holds it weakly and entries go with the message. Thread-safe.
/// </summary>
internal sealed class MessageExpiry
{
    private readonly PayloadStamps _stamps;
    private readonly TimeProvider _time;

    public MessageExpiry(PayloadStamps stamps, TimeProvider time)
    {
        _stamps = stamps;
        _time = time;
    }

    /// <summary>Stamps an accepted incoming message that has an expiry interval with its receive time.</summary>
    public void Received(MqttApplicationMessage message)
    {
        if (message.MessageExpiryInterval == 0)
        {
            return;
        }
        var stamp = _stamps.For(message);
        stamp.ReceivedAt = _time.GetTimestamp();
        stamp.ExpiryInterval = message.MessageExpiryInterval;
    }

    /// <summary>Whether a message (live or retained) has expired before it is queued for a subscriber.</summary>
    public bool HasExpired(MqttApplicationMessage message) => Remaining(message.Payload) is <= 0;

    /// <summary>
    /// Sets the remaining interval on an outgoing PUBLISH, or returns <c>false</c> when it has expired and must not
    /// be sent. Packets of messages without an interval pass untouched.
    /// </summary>
    public bool PrepareOutgoing(MqttPublishPacket packet)
    {
        if (Remaining(packet.Payload) is not { } remaining)
        {
            return true;
        }
        if (remaining <= 0)
        {
            return false;
        }
        packet.MessageExpiryInterval = (uint)remaining;
        return true;
    }

    /// <summary>Whole seconds left (rounded up), or null when the message has no expiry interval.</summary>
    private long? Remaining(ReadOnlySequence<byte> payload)
    {
        if (_stamps.Find(payload) is not { ExpiryInterval: > 0 } stamp)
        {
            return null;
        }
        var left = TimeSpan.FromSeconds(stamp.ExpiryInterval) - _time.GetElapsedTime(stamp.ReceivedAt);
        return left <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(left.TotalSeconds);
    }
}
