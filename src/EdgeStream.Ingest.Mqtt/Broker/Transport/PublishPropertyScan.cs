using System.Buffers.Binary;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// Finds, in the first bytes of an MQTT 5 PUBLISH body, a Topic Alias property of 0 — a protocol error (MQTT-3.3.2-8)
/// that MQTTnet's decoder cannot see, because it decodes an absent alias as 0 too.
/// </summary>
internal static class PublishPropertyScan
{
    /// <summary>Bytes of each PUBLISH body looked at; an alias property further in (behind a very long topic) is not seen.</summary>
    public const int PrefixBytes = 512;

    /// <param name="prefix">The start of the body (all of it when the body is shorter than <see cref="PrefixBytes"/>).</param>
    /// <param name="qos">The QoS from the fixed header (a packet identifier follows the topic when above 0).</param>
    public static bool HasTopicAliasZero(ReadOnlySpan<byte> prefix, int qos)
    {
        if (prefix.Length < 2)
        {
            return false;
        }
        var pos = 2 + BinaryPrimitives.ReadUInt16BigEndian(prefix) + (qos > 0 ? 2 : 0);
        if (!TryReadVariableInt(prefix, ref pos, out var length))
        {
            return false;
        }
        var end = Math.Min(pos + length, prefix.Length);
        while (pos < end)
        {
            var id = prefix[pos++];
            switch (id)
            {
                case 0x23: // Topic Alias
                    return pos + 2 <= end && BinaryPrimitives.ReadUInt16BigEndian(prefix[pos..]) == 0;
                case 0x01: // Payload Format Indicator
                    pos += 1;
                    break;
                case 0x02: // Message Expiry Interval
                    pos += 4;
                    break;
                case 0x03: // Content Type
                case 0x08: // Response Topic
                case 0x09: // Correlation Data
                    if (!Skip(prefix, ref pos, end))
                    {
                        return false;
                    }
                    break;
                case 0x26: // User Property
                    if (!Skip(prefix, ref pos, end) || !Skip(prefix, ref pos, end))
                    {
                        return false;
                    }
                    break;
                case 0x0B: // Subscription Identifier
                    if (!TryReadVariableInt(prefix, ref pos, out _))
                    {
                        return false;
                    }
                    break;
                default:
                    return false; // MQTTnet's decoder refuses what is not a PUBLISH property
            }
        }
        return false;
    }

    private static bool Skip(ReadOnlySpan<byte> bytes, ref int pos, int end)
    {
        if (pos + 2 > end)
        {
            return false;
        }
        pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes[pos..]);
        return true;
    }

    private static bool TryReadVariableInt(ReadOnlySpan<byte> bytes, ref int pos, out int value)
    {
        value = 0;
        for (var i = 0; i < 4 && pos < bytes.Length; i++)
        {
            var b = bytes[pos++];
            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>A PUBLISH carried Topic Alias 0: thrown by <see cref="FrameGuardChannel"/> as its bytes pass.</summary>
internal sealed class TopicAliasZeroException() : MQTTnet.Exceptions.MqttProtocolViolationException("topic alias 0 is not allowed [MQTT-3.3.2-8]");
