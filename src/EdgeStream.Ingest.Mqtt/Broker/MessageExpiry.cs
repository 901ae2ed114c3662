using System.Buffers;
using System.Runtime.CompilerServices;
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
    private readonly ConditionalWeakTable<object, Stamp> _stamps = new();
    private readonly TimeProvider _time;

    public MessageExpiry(TimeProvider time) => _time = time;

    /// <summary>Stamps an accepted incoming message that has an expiry interval with its receive time.</summary>
    public void Received(MqttApplicationMessage message)
    {
        if (message.MessageExpiryInterval == 0)
        {
            return;
        }
        // A buffer of its own (even when empty) so the stamp cannot be confused with another message's.
        var payload = new byte[message.Payload.Length];
        message.Payload.CopyTo(payload);
        message.Payload = new ReadOnlySequence<byte>(payload);
        _stamps.AddOrUpdate(payload, new Stamp(_time.GetTimestamp(), message.MessageExpiryInterval));
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

    /// <summary>Whole seconds left (rounded up), or null when the payload carries no stamp.</summary>
    private long? Remaining(ReadOnlySequence<byte> payload)
    {
        if (payload.Start.GetObject() is not { } owner || !_stamps.TryGetValue(owner, out var stamp))
        {
            return null;
        }
        var waited = _time.GetElapsedTime(stamp.ReceivedAt);
        var left = TimeSpan.FromSeconds(stamp.Interval) - waited;
        return left <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(left.TotalSeconds);
    }

    private sealed record Stamp(long ReceivedAt, uint Interval);
}
