namespace EdgeStream.Ingest.Mqtt.Hosting;

/// <summary>Checks the connection-level keys of <c>Mqtt:Limits</c>; each error names its key. Stateless.</summary>
internal static class TransportLimitsValidator
{
    /// <summary>The protocol's largest packet: a four-byte remaining length of 268,435,455 plus the fixed header.</summary>
    private const long ProtocolMaxPacket = 268_435_460;

    public static void Check(List<string> errors, string path, MqttLimitsOptions l)
    {
        if (l.MaxInFlightPerClient > ushort.MaxValue)
        {
            errors.Add($"{path}:MaxInFlightPerClient: at most 65535 (it is announced as MQTT 5 Receive Maximum).");
        }
        if (l.MaxPacketBytes < 0 || l.MaxPacketBytes > ProtocolMaxPacket)
        {
            errors.Add($"{path}:MaxPacketBytes: 0 (payload limit + 64 KiB) or 1 to {ProtocolMaxPacket}.");
        }
        else if (l.MaxPacketBytes > 0 && l.MaxPacketBytes < l.MaxPayloadBytes)
        {
            errors.Add($"{path}:MaxPacketBytes: {l.MaxPacketBytes} is below MaxPayloadBytes ({l.MaxPayloadBytes}); a payload within the limit would be refused.");
        }
        if (l.MaxConnectPacketBytes < 128)
        {
            errors.Add($"{path}:MaxConnectPacketBytes: must be at least 128.");
        }
        if (l.ConnectTimeout <= TimeSpan.Zero || l.ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{path}:ConnectTimeout: must be above zero and at most 00:10:00.");
        }
        Positive(errors, $"{path}:MaxPendingConnections", l.MaxPendingConnections);
        Positive(errors, $"{path}:ConnectBurstPerAddress", l.ConnectBurstPerAddress);
        Positive(errors, $"{path}:MaxTrackedAddresses", l.MaxTrackedAddresses);
        if (l.ConnectRatePerAddress < 0)
        {
            errors.Add($"{path}:ConnectRatePerAddress: must not be negative (0 = unlimited).");
        }
        if (l.LoginFailuresBeforeDelay < 0)
        {
            errors.Add($"{path}:LoginFailuresBeforeDelay: must not be negative.");
        }
        if (l.LoginDelayMax < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{path}:LoginDelayMax: must be at least 00:00:01.");
        }
        if (l.TopicAliasMaximum is < 0 or > ushort.MaxValue)
        {
            errors.Add($"{path}:TopicAliasMaximum: 0 (no aliases) to 65535.");
        }
    }

    private static void Positive(List<string> errors, string key, int value)
    {
        if (value <= 0)
        {
            errors.Add($"{key}: must be positive.");
        }
    }
}
