using EdgeStream.Ingest.Sensors.Options;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>Gives each source the simulated chips or the real buses, as its <c>Driver</c> says. Thread-safe.</summary>
internal sealed class HardwareSelector(SimulatedHardware simulated, Lazy<RealHardware> real)
{
    public ISensorHardware For(SensorOptions sensor) => sensor.Simulated ? simulated : real.Value;
}
