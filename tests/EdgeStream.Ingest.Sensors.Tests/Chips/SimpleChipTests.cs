using EdgeStream.FirmwareSim.Chips;
using EdgeStream.FirmwareSim.Chips.Signals;
using Iot.Device.Ads1115;
using Iot.Device.Bh1750fvi;
using Iot.Device.Mcp9808;

namespace EdgeStream.Ingest.Sensors.Tests.Chips;

public sealed class SimpleChipTests
{
    [Fact]
    public void Bh1750_binding_reproduces_the_datasheet_example()
    {
        var chip = new Bh1750Chip(Signal.Constant(0));
        using var sensor = new Bh1750fvi(chip);
        chip.LoadCount(0b1000_0011_1001_0000);

        // ROHM BH1750FVI datasheet p.7: 0x8390 in H-resolution mode is 33680 / 1.2 ≈ 28067 lx.
        Assert.Equal(28067, sensor.Illuminance.Lux, 0);
    }

    [Fact]
    public void Bh1750_binding_reads_the_simulated_light_level()
    {
        var chip = new Bh1750Chip(Signal.Constant(523.3));
        using var sensor = new Bh1750fvi(chip);
        Assert.Equal(69, chip.MeasurementTime);
        Assert.Equal(523.3, sensor.Illuminance.Lux, 0.5);
    }

    [Fact]
    public void Ads1115_binding_reads_each_channel_voltage()
    {
        var chip = new Ads1115Chip([Signal.Constant(1.0), Signal.Constant(2.5), Signal.Constant(0.125), Signal.Constant(3.3)]);
        using var adc = new Ads1115(chip, InputMultiplexer.AIN0, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.PowerDown);

        // FS ±4.096 V: 125 µV per code, so 1.0 V is code 8000 (TI SBAS444 Table 3).
        Assert.Equal(8000, adc.ReadRaw(InputMultiplexer.AIN0));
        Assert.Equal(1.0, adc.ReadVoltage(InputMultiplexer.AIN0).Volts, 4);
        Assert.Equal(2.5, adc.ReadVoltage(InputMultiplexer.AIN1).Volts, 4);
        Assert.Equal(0.125, adc.ReadVoltage(InputMultiplexer.AIN2).Volts, 4);
        Assert.Equal(3.3, adc.ReadVoltage(InputMultiplexer.AIN3).Volts, 3);
        Assert.Equal(-1.5, adc.ReadVoltage(InputMultiplexer.AIN0_AIN1).Volts, 4);
    }

    [Fact]
    public void Ads1115_saturates_at_full_scale()
    {
        var chip = new Ads1115Chip([Signal.Constant(5.0), Signal.Constant(0), Signal.Constant(0), Signal.Constant(0)]);
        using var adc = new Ads1115(chip, InputMultiplexer.AIN0, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.PowerDown);
        Assert.Equal(short.MaxValue, adc.ReadRaw());
    }

    [Theory]
    [InlineData(25.25, 0x0194)]
    [InlineData(-0.0625, 0x1FFF)]
    [InlineData(-20.5, 0x1EB8)]
    public void Mcp9808_binding_decodes_the_ambient_register(double celsius, int word)
    {
        Assert.Equal(word, Mcp9808Chip.AmbientWord(celsius));
        var chip = new Mcp9808Chip(Signal.Constant(celsius));
        using var sensor = new Mcp9808(chip);
        Assert.Equal(celsius, sensor.Temperature.DegreesCelsius, 4);
    }
}
