using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Iot.Device.Bh1750fvi;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>BH1750 illuminance in continuous H-resolution mode. A full-scale count (sensor saturated) is rejected.</summary>
internal sealed class Bh1750Sensor(SensorOptions options, ISensorHardware hardware) : I2cBindingSensor<Bh1750fvi>(options, hardware)
{
    // 65535 counts / 1.2 at the default measurement time: the sensor is saturated, the true value is unknown.
    private const double SaturatedLux = 65535 / 1.2;

    protected override Bh1750fvi CreateBinding(I2cDevice device) => new(device);

    protected override ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(Bh1750fvi binding, CancellationToken cancellationToken)
    {
        var lux = binding.Illuminance;
        SensorReadException.CheckRange("illuminance", lux.Lux, 0, SaturatedLux - 0.5);
        return ValueTask.FromResult<IReadOnlyList<ReadingQuantity>>([ReadingQuantity.From("illuminance", lux)]);
    }
}
