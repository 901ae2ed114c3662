using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Iot.Device.Bmxx80;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// BME280 (temperature, pressure, humidity) or BMP280 (temperature, pressure) through the Bmxx80 binding in forced
/// mode. Values outside the datasheet's operating range (−40…85 °C, 300…1100 hPa) are rejected.
/// </summary>
internal sealed class Bmx280Sensor(SensorOptions options, ISensorHardware hardware) : I2cBindingSensor<Bmx280Base>(options, hardware)
{
    protected override Bmx280Base CreateBinding(I2cDevice device)
        => Options.Kind == SensorTypes.Bme280 ? new Bme280(device) : new Bmp280(device);

    protected override async ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(Bmx280Base binding, CancellationToken cancellationToken)
    {
        if (binding is Bme280 bme)
        {
            var r = await bme.ReadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (r.Temperature is not { } t || r.Pressure is not { } p || r.Humidity is not { } h)
            {
                throw new SensorReadException(SensorReadException.NoData, "The BME280 returned no value for a quantity.");
            }
            return [Checked("temperature", t, -40, 85), CheckedPressure(p), ReadingQuantity.From("humidity", h)];
        }
        var result = await ((Bmp280)binding).ReadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.Temperature is not { } temperature || result.Pressure is not { } pressure)
        {
            throw new SensorReadException(SensorReadException.NoData, "The BMP280 returned no value for a quantity.");
        }
        return [Checked("temperature", temperature, -40, 85), CheckedPressure(pressure)];
    }

    private static ReadingQuantity Checked(string name, UnitsNet.Temperature t, double min, double max)
    {
        SensorReadException.CheckRange(name, t.DegreesCelsius, min, max);
        return ReadingQuantity.From(name, t);
    }

    private static ReadingQuantity CheckedPressure(UnitsNet.Pressure p)
    {
        SensorReadException.CheckRange("pressure", p.Pascals, 30_000, 110_000);
        return ReadingQuantity.From("pressure", p);
    }
}
