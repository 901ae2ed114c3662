namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>Reads the one DISCONNECT property MQTTnet's decoded packet cannot tell apart from its absence.</summary>
internal static class DisconnectProperties
{
    private const byte SessionExpiryIntervalId = 0x11;

    /// <summary>
    /// The Session Expiry Interval of an MQTT 5 DISCONNECT body (reason code, property length, properties), or
    /// <c>null</c> when it has none or the properties do not parse (MQTTnet's decoder then refuses the packet anyway).
    /// </summary>
    public static uint? SessionExpiryInterval(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2 || !TryReadVariableInt(body[1..], out var length, out var used) || 1 + used + length > body.Length)
        {
            return null;
        }
        var properties = body.Slice(1 + used, length);
        while (!properties.IsEmpty)
        {
            var id = properties[0];
            properties = properties[1..];
            int size;
            switch (id)
            {
                case SessionExpiryIntervalId:
                    return properties.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(properties) : null;
                case 0x1F: // Reason String
                case 0x1C: // Server Reference
                    size = 2 + (properties.Length >= 2 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(properties) : int.MaxValue / 2);
                    break;
                case 0x26: // User Property: two strings
                    if (properties.Length < 2)
                    {
                        return null;
                    }
                    var name = 2 + System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(properties);
                    if (properties.Length < name + 2)
                    {
                        return null;
                    }
                    size = name + 2 + System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(properties[name..]);
                    break;
                default:
                    return null;
            }
            if (size > properties.Length)
            {
                return null;
            }
            properties = properties[size..];
        }
        return null;
    }

    private static bool TryReadVariableInt(ReadOnlySpan<byte> bytes, out int value, out int used)
    {
        value = 0;
        for (used = 0; used < 4 && used < bytes.Length; used++)
        {
            value |= (bytes[used] & 0x7F) << (7 * used);
            if ((bytes[used] & 0x80) == 0)
            {
                used++;
                return true;
            }
        }
        return false;
    }
}
