using System.Device.Gpio;
using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Sources;
using Iot.Device.OneWire;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>The Pi's own buses: <c>/dev/i2c-N</c>, the GPIO character device and the kernel's w1 sysfs tree.</summary>
internal sealed class RealHardware : ISensorHardware, IDisposable
{
    private readonly Lazy<GpioController> _gpio = new(() => new GpioController());

    public I2cDevice OpenI2c(SensorOptions sensor, int address) => I2cDevice.Create(new I2cConnectionSettings(sensor.Bus, address));

    public GpioController Gpio(SensorOptions sensor) => _gpio.Value;

    public IOneWireThermometer OpenThermometer(SensorOptions sensor) => new BindingThermometer(new OneWireThermometerDevice(sensor.OneWireBus, sensor.DeviceId!));

    public void Dispose()
    {
        if (_gpio.IsValueCreated)
        {
            _gpio.Value.Dispose();
        }
    }

    private sealed class BindingThermometer(OneWireThermometerDevice device) : IOneWireThermometer
    {
        public async Task<Temperature> ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await device.ReadTemperatureAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                // The binding throws this for "crc=.. NO" and for malformed text.
                throw new SensorReadException(SensorReadException.Crc, e.Message, e);
            }
        }
    }
}
