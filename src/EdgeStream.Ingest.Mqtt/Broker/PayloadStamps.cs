using System.Buffers;
using System.Runtime.CompilerServices;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// What the broker knows about an accepted message when MQTTnet later sends a copy of it: its receive time and expiry
/// interval, and where it was stored in the log. MQTTnet builds one PUBLISH packet per subscriber that shares the
/// message's payload buffer and nothing else, so the facts are attached to a payload buffer owned by this message
/// alone. Held weakly: entries go with the message. Thread-safe.
/// </summary>
internal sealed class PayloadStamps
{
    private readonly ConditionalWeakTable<object, Stamp> _stamps = new();

    /// <summary>The stamp of <paramref name="message"/>, giving it a payload buffer of its own first if needed.</summary>
    public Stamp For(MqttApplicationMessage message)
    {
        if (message.Payload.Start.GetObject() is { } owner && _stamps.TryGetValue(owner, out var existing))
        {
            return existing;
        }
        // A buffer of its own (even when empty) so the stamp cannot be confused with another message's.
        var payload = new byte[message.Payload.Length];
        message.Payload.CopyTo(payload);
        message.Payload = new ReadOnlySequence<byte>(payload);
        var stamp = new Stamp();
        _stamps.AddOrUpdate(payload, stamp);
        return stamp;
    }

    /// <summary>The stamp of an outgoing packet's payload, if its message was stamped.</summary>
    public Stamp? Find(ReadOnlySequence<byte> payload)
        => payload.Start.GetObject() is { } owner && _stamps.TryGetValue(owner, out var stamp) ? stamp : null;

    /// <summary>Facts about one message; written once on its receive loop before it is dispatched, read after.</summary>
    internal sealed class Stamp
    {
        public long ReceivedAt { get; set; }

        public uint ExpiryInterval { get; set; }

        public string? LogTopic { get; set; }

        public int Partition { get; set; }

        public long Offset { get; set; }
    }
}
