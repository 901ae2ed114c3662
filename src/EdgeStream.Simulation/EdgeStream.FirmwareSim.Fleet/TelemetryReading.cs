namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>One telemetry sample of a simulated device: an environment sensor with a battery and a radio.</summary>
/// <param name="Device">The device id (also its MQTT client id).</param>
/// <param name="Sequence">Per-device sequence number, from 0, without gaps in generation order.</param>
/// <param name="Timestamp">When the sample was taken (millisecond precision).</param>
/// <param name="Temperature">Air temperature in °C.</param>
/// <param name="Humidity">Relative humidity in %.</param>
/// <param name="Pressure">Air pressure in Pa.</param>
/// <param name="Battery">Battery voltage in V.</param>
/// <param name="Rssi">Received signal strength in dBm.</param>
public sealed record TelemetryReading(
    string Device,
    long Sequence,
    DateTimeOffset Timestamp,
    double Temperature,
    double Humidity,
    double Pressure,
    double Battery,
    int Rssi);
