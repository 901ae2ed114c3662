namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>The MQTT protocol version a simulated device speaks.</summary>
public enum MqttProtocol
{
    /// <summary>MQTT 3.1.1: no user properties or content type.</summary>
    V311,

    /// <summary>MQTT 5.0: messages carry user properties (device, seq, firmware) and a content type.</summary>
    V500,
}

/// <summary>How a device encodes its telemetry; see <see cref="TelemetryCodec"/>.</summary>
public enum PayloadFormat
{
    /// <summary>Compact UTF-8 JSON.</summary>
    Json,

    /// <summary>A fixed little-endian binary record, as a constrained microcontroller would send.</summary>
    Binary,
}
