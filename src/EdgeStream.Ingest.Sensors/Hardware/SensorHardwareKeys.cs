namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>Service keys of <see cref="ISensorHardware"/> implementations other than the Pi's own buses.</summary>
public static class SensorHardwareKeys
{
    /// <summary>
    /// The key of the hardware serving sources with <c>Driver: simulated</c>. When no service is registered under it,
    /// such a source fails (and is retried) with an error saying so; the other sources are not affected.
    /// </summary>
    public const string Simulated = "simulated";
}
