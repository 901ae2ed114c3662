using System.Device.Gpio;
using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Options;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>
/// Where a source's device comes from: the Pi's buses, or another implementation registered as the keyed service
/// <see cref="SensorHardwareKeys.Simulated"/> for sources configured with <c>Driver: simulated</c>. Implementations
/// are thread-safe.
/// </summary>
public interface ISensorHardware
{
    /// <summary>The I2C device at <paramref name="address"/> on the sensor's bus.</summary>
    I2cDevice OpenI2c(SensorOptions sensor, int address);

    /// <summary>The GPIO controller the sensor's pin is on.</summary>
    GpioController Gpio(SensorOptions sensor);

    /// <summary>The sensor's 1-Wire temperature probe.</summary>
    IOneWireThermometer OpenThermometer(SensorOptions sensor);
}
