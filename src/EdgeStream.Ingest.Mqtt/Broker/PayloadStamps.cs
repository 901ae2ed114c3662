using System.Buffers;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// What the broker knows about an accepted message when MQTTnet later sends a copy of it: its receive time and expiry
/// interval, and where it was stored in the log. MQTTnet builds one PUBLISH packet per subscriber that shares the
/// message's payload sequence and nothing else, so the facts travel in the payload itself: the message gets a payload
/// array of its own, wrapped in a sequence whose one segment is the <see cref="Stamp"/>. No table and no weak handle
/// per message (the stamp goes with the message). Thread-safe.
/// </summary>
internal sealed class PayloadStamps
{
    /// <summary>The stamp of <paramref name="message"/>, giving it a payload buffer of its own first if needed.</summary>
    public Stamp For(MqttApplicationMessage message)
    {
        if (message.Payload.Start.GetObject() is Stamp existing)
        {
            return existing;
        }
        // A buffer of its own (even when empty) so the stamp cannot be confused with another message's.
        var payload = new byte[message.Payload.Length];
        message.Payload.CopyTo(payload);
        var stamp = new Stamp(payload);
        message.Payload = new ReadOnlySequence<byte>(stamp, 0, stamp, payload.Length);
        return stamp;
    }

    /// <summary>The stamp of an outgoing packet's payload, if its message was stamped.</summary>
    public Stamp? Find(ReadOnlySequence<byte> payload) => payload.Start.GetObject() as Stamp;

    /// <summary>
    /// Facts about one message, and the single segment of its payload; written once on its receive loop before it is
    /// dispatched, read after.
    /// </summary>
    internal sealed class Stamp : ReadOnlySequenceSegment<byte>
    {
        public Stamp(byte[] payload) => Memory = payload;

        public long ReceivedAt { get; set; }

        public uint ExpiryInterval { get; set; }

        public string? LogTopic { get; set; }

        public int Partition { get; set; }

        public long Offset { get; set; }
    }
}
