using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Iot.Device.Sht3x;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// SHT3x temperature and humidity through the Sht3x binding, with the CRC verdict taken from a
/// <see cref="CrcCheckingI2cDevice"/> because the binding hides CRC failures. Each property read is one measurement.
/// </summary>
internal sealed class Sht3xSensor(SensorOptions options, ISensorHardware hardware) : I2cBindingSensor<Sht3x>(options, hardware)
{
    private CrcCheckingI2cDevice? _crc;

    protected override I2cDevice Wrap(I2cDevice device) => _crc = new CrcCheckingI2cDevice(device);

    protected override Sht3x CreateBinding(I2cDevice device) => new(device);

    protected override ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(Sht3x binding, CancellationToken cancellationToken)
    {
        var temperature = Measure(() => binding.Temperature, "temperature");
        var humidity = Measure(() => binding.Humidity, "humidity");
        SensorReadException.CheckRange("temperature", temperature.DegreesCelsius, -40, 125);
        SensorReadException.CheckRange("humidity", humidity.Percent, 0, 100);
        return ValueTask.FromResult<IReadOnlyList<ReadingQuantity>>(
            [ReadingQuantity.From("temperature", temperature), ReadingQuantity.From("humidity", humidity)]);
    }

    private T Measure<T>(Func<T> read, string quantity)
    {
        _crc!.ResetVerdict();
        T value = read();
        if (_crc.LastFrameValid != true)
        {
            throw new SensorReadException(SensorReadException.Crc, $"SHT3x {quantity} frame failed its CRC check; the binding's value is stale.");
        }
        return value;
    }
}
