using System.Device.Gpio;
using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Options;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>Where a source's device comes from: the Pi's buses or the simulated chips. Implementations are thread-safe.</summary>
internal interface ISensorHardware
{
    I2cDevice OpenI2c(SensorOptions sensor, int address);

    GpioController Gpio(SensorOptions sensor);

    IOneWireThermometer OpenThermometer(SensorOptions sensor);

    /// <summary>Runs the demo stimulus of a GPIO source until cancelled (nothing on real hardware).</summary>
    Task RunStimulusAsync(SensorOptions sensor, TimeProvider time, CancellationToken cancellationToken);
}
