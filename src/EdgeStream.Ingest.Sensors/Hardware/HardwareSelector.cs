using EdgeStream.Ingest.Sensors.Options;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>Gives each source the simulated hardware (when the host registered one) or the real buses, as its <c>Driver</c> says. Thread-safe.</summary>
internal sealed class HardwareSelector(ISensorHardware? simulated, Lazy<RealHardware> real)
{
    public ISensorHardware For(SensorOptions sensor) => !sensor.Simulated ? real.Value
        : simulated ?? throw new InvalidOperationException($"Sensor {sensor.Name} has Driver: simulated, but this host registered no simulated sensor hardware (services.AddSimulatedSensorHardware()).");
}
