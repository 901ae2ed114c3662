using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;
using Iot.Device.Ads1115;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// ADS1115 channels read one after another in single-shot mode; each voltage maps to engineering units as
/// <c>volts × Scale + Offset</c>. A code at either end of the range means the input is clipped and is rejected.
/// </summary>
internal sealed class Ads1115Sensor(SensorOptions options, ISensorHardware hardware) : I2cBindingSensor<Ads1115>(options, hardware)
{
    private readonly (AdcChannelOptions Options, InputMultiplexer Input, MeasuringRange Range)[] _channels =
        [.. options.Channels.Select(c => (c, Enum.Parse<InputMultiplexer>(c.Input), Enum.Parse<MeasuringRange>(c.Range)))];

    protected override Ads1115 CreateBinding(I2cDevice device)
        => new(device, _channels[0].Input, _channels[0].Range, DataRate.SPS128, DeviceMode.PowerDown);

    protected override ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(Ads1115 binding, CancellationToken cancellationToken)
    {
        var quantities = new ReadingQuantity[_channels.Length];
        for (int i = 0; i < _channels.Length; i++)
        {
            var (channel, input, range) = _channels[i];
            short raw = binding.ReadRaw(input, range, DataRate.SPS128);
            if (raw is short.MaxValue or short.MinValue)
            {
                throw new SensorReadException(SensorReadException.OutOfRange, $"ADS1115 channel {channel.Name} ({channel.Input}) is clipped at full scale ({channel.Range}).");
            }
            var volts = binding.RawToVoltage(raw);
            quantities[i] = channel.Unit is null && channel.Scale == 1 && channel.Offset == 0
                ? ReadingQuantity.From(channel.Name, volts)
                : new ReadingQuantity(channel.Name, volts.Volts * channel.Scale + channel.Offset, channel.Unit ?? "");
        }
        return ValueTask.FromResult<IReadOnlyList<ReadingQuantity>>(quantities);
    }
}
