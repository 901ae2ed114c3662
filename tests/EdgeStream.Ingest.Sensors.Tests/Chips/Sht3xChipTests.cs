using EdgeStream.FirmwareSim.Chips;
using EdgeStream.FirmwareSim.Chips.Signals;
using Iot.Device.Sht3x;

namespace EdgeStream.Ingest.Sensors.Tests.Chips;

public sealed class Sht3xChipTests
{
    [Fact]
    public void Crc_matches_the_datasheet_example()
    {
        // SHT3x-DIS datasheet Table 19: CRC(0xBEEF) = 0x92.
        Assert.Equal(0x92, SensirionCrc8.Compute([0xBE, 0xEF]));
        Assert.Equal(0x92, EdgeStream.Ingest.Sensors.Sources.CrcCheckingI2cDevice.Crc8([0xBE, 0xEF]));
    }

    [Fact]
    public void Binding_reads_temperature_and_humidity_from_the_chip()
    {
        var chip = new Sht3xChip(Signal.Constant(23.4), Signal.Constant(61.7));
        using var sensor = new Sht3x(chip);

        Assert.Equal(23.4, sensor.Temperature.DegreesCelsius, 1);
        Assert.Equal(61.7, sensor.Humidity.Percent, 1);
    }

    [Fact]
    public void Binding_silently_keeps_old_values_when_the_crc_is_bad()
    {
        var temperature = Signal.Constant(20.0);
        var chip = new Sht3xChip(temperature, Signal.Constant(40));
        using var sensor = new Sht3x(chip);
        Assert.Equal(20.0, sensor.Temperature.DegreesCelsius, 1);

        chip.Faults.BadCrc = true;
        temperature.Value = 30.0;

        // This is why the ingest checks the CRC itself: the binding reports the stale 20 °C as if it were fresh.
        Assert.Equal(20.0, sensor.Temperature.DegreesCelsius, 1);
    }

    [Fact]
    public void Raw_words_follow_the_datasheet_conversion()
    {
        Assert.Equal(0, Sht3xChip.TemperatureWord(-45));
        Assert.Equal(65535, Sht3xChip.TemperatureWord(130));
        Assert.Equal(32768, Sht3xChip.HumidityWord(50.0008));
    }
}
