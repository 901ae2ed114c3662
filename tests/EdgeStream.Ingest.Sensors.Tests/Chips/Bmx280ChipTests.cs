using EdgeStream.FirmwareSim.Chips.Bmx280;
using EdgeStream.FirmwareSim.Chips.Signals;
using Iot.Device.Bmxx80;

namespace EdgeStream.Ingest.Sensors.Tests.Chips;

public sealed class Bmx280ChipTests
{
    private static Bmx280Chip Chip(byte id, double celsius = 20, double pascals = 100_000, double humidity = 50)
        => new(id, Bmx280Calibration.Datasheet, Signal.Constant(celsius), Signal.Constant(pascals), Signal.Constant(humidity));

    [Fact]
    public void Bmp280_binding_reproduces_the_datasheet_worked_example()
    {
        var chip = Chip(Bmx280Chip.Bmp280Id);
        chip.LoadAdc(adcT: 519888, adcP: 415148);
        using var sensor = new Bmp280(chip);

        Assert.True(sensor.TryReadTemperature(out var temperature));
        Assert.True(sensor.TryReadPressure(out var pressure));

        // BST-BMP280-DS001 §3.11.3: 25.08 °C and 100653.27 Pa for these calibration words and ADC readings.
        Assert.Equal(25.08, temperature.DegreesCelsius, 2);
        Assert.Equal(100653.27, pressure.Pascals, 2);
    }

    [Fact]
    public void Datasheet_formulas_in_the_simulator_match_the_worked_example()
    {
        var (celsius, tFine) = Bmx280Compensation.Temperature(519888, Bmx280Calibration.Datasheet);
        Assert.Equal(25.08, celsius, 2);
        Assert.Equal(128422, tFine, 0);
        Assert.Equal(100653.27, Bmx280Compensation.Pressure(415148, tFine, Bmx280Calibration.Datasheet), 2);
    }

    [Theory]
    [InlineData(-10.0, 95_000.0, 15.0)]
    [InlineData(21.5, 101_325.0, 48.2)]
    [InlineData(38.25, 99_000.0, 91.0)]
    public async Task Bme280_binding_reads_the_values_the_chip_was_given(double celsius, double pascals, double humidity)
    {
        var chip = Chip(Bmx280Chip.Bme280Id, celsius, pascals, humidity);
        using var sensor = new Bme280(chip);

        var result = await sensor.ReadAsync();

        // One ADC step is about 0.005 °C, 0.2 Pa and 0.01 %RH near these points.
        Assert.Equal(celsius, result.Temperature!.Value.DegreesCelsius, 0.01);
        Assert.Equal(pascals, result.Pressure!.Value.Pascals, 0.5);
        Assert.Equal(humidity, result.Humidity!.Value.Percent, 0.05);
        Assert.True(chip.Conversions >= 1);
    }

    [Fact]
    public void Wrong_chip_id_makes_the_binding_refuse_the_device()
    {
        var chip = Chip(Bmx280Chip.Bmp280Id);
        var error = Assert.Throws<IOException>(() => new Bme280(chip));
        Assert.Contains("88", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nack_fault_surfaces_as_IOException_and_clears()
    {
        var chip = Chip(Bmx280Chip.Bme280Id, celsius: 12.5);
        using var sensor = new Bme280(chip);
        chip.Faults.Nack = true;
        await Assert.ThrowsAsync<IOException>(sensor.ReadAsync);
        chip.Faults.Clear();
        var result = await sensor.ReadAsync();
        Assert.Equal(12.5, result.Temperature!.Value.DegreesCelsius, 0.01);
    }
}
