using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Iot.Device.Mcp9808;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>MCP9808 temperature (±0.25 °C, −40…125 °C). The binding's NaN for "no conversion yet" is a failed read.</summary>
internal sealed class Mcp9808Sensor(SensorOptions options, ISensorHardware hardware) : I2cBindingSensor<Mcp9808>(options, hardware)
{
    protected override Mcp9808 CreateBinding(I2cDevice device) => new(device);

    protected override ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(Mcp9808 binding, CancellationToken cancellationToken)
    {
        var temperature = binding.Temperature;
        SensorReadException.CheckRange("temperature", temperature.DegreesCelsius, -40, 125);
        return ValueTask.FromResult<IReadOnlyList<ReadingQuantity>>([ReadingQuantity.From("temperature", temperature)]);
    }
}
