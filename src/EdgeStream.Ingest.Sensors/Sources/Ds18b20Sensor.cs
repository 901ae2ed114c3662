using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// A DS18B20 1-Wire probe. Rejects values outside −55…125 °C and exactly 85 °C, the power-on value of the
/// scratchpad that a probe reports when its conversion did not run (brown-out, bad wiring).
/// </summary>
internal sealed class Ds18b20Sensor(SensorOptions options, ISensorHardware hardware) : IPolledSensor
{
    private IOneWireThermometer? _probe;

    public string BusKey => $"w1-{options.OneWireBus}";

    public async ValueTask<IReadOnlyList<ReadingQuantity>> ReadAsync(CancellationToken cancellationToken)
    {
        _probe ??= hardware.OpenThermometer(options);
        UnitsNet.Temperature temperature;
        try
        {
            temperature = await _probe.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SensorReadException(SensorReadException.Io, $"DS18B20 {options.DeviceId} is not on the bus: {e.Message}", e);
        }
        double celsius = SensorReadException.CheckRange("temperature", temperature.DegreesCelsius, -55, 125);
        if (celsius == 85.0)
        {
            throw new SensorReadException(SensorReadException.OutOfRange, "DS18B20 returned its power-on value 85 °C: the conversion did not run.");
        }
        return [ReadingQuantity.From("temperature", temperature)];
    }

    public void Dispose()
    {
    }
}
