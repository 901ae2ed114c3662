using EdgeStream.FirmwareSim.Chips;
using EdgeStream.FirmwareSim.Chips.Bmx280;
using EdgeStream.FirmwareSim.Chips.Signals;
using EdgeStream.Simulation.Sensors;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Ingest.Sensors.Sources;
using EdgeStream.Ingest.Sensors.Tests.Support;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class I2cSourceTests : IDisposable
{
    private readonly SimulatedHardware _hardware = new(TimeProvider.System);

    public void Dispose() => _hardware.Dispose();

    private Harness Start(SensorOptions options, SimulatedI2cChip chip)
    {
        _hardware.Use(options.Name, chip);
        return new Harness(options, SensorFactory.CreatePolled(options, _hardware));
    }

    [Fact]
    public async Task Bme280_source_publishes_temperature_pressure_and_humidity_with_units()
    {
        var chip = new Bmx280Chip(Bmx280Chip.Bme280Id, Bmx280Calibration.Datasheet, Signal.Constant(21.5), Signal.Constant(101_325), Signal.Constant(48));
        using var h = Start(Harness.Config("air", SensorTypes.Bme280), chip);

        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken));

        var reading = Assert.Single(h.Drain());
        Assert.Equal(["temperature", "pressure", "humidity"], reading.Quantities.Select(q => q.Name));
        Assert.Equal(["°C", "Pa", "%RH"], reading.Quantities.Select(q => q.Unit));
        Assert.Equal(21.5, reading.Quantities[0].Value, 0.01);
        Assert.Equal(101_325, reading.Quantities[1].Value, 0.5);
        Assert.Equal(48, reading.Quantities[2].Value, 0.05);
        Assert.Equal(h.Time.GetUtcNow(), reading.Timestamp);
    }

    [Fact]
    public async Task Bmp280_source_reproduces_the_datasheet_example()
    {
        var chip = new Bmx280Chip(Bmx280Chip.Bmp280Id, Bmx280Calibration.Datasheet, Signal.Constant(0), Signal.Constant(0), null);
        chip.LoadAdc(519888, 415148);
        using var h = Start(Harness.Config("baro", SensorTypes.Bmp280), chip);

        await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken);

        var reading = Assert.Single(h.Drain());
        Assert.Equal(25.08, reading.Quantities[0].Value, 2);
        Assert.Equal(100653.27, reading.Quantities[1].Value, 2);
    }

    [Fact]
    public async Task Bad_crc_publishes_nothing_and_counts_an_error()
    {
        var temperature = Signal.Constant(20);
        var chip = new Sht3xChip(temperature, Signal.Constant(40));
        using var h = Start(Harness.Config("sht", SensorTypes.Sht3x), chip);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        h.Drain();

        chip.Faults.BadCrc = true;
        temperature.Value = 30;

        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Empty(h.Drain());
        Assert.Equal(1, h.ErrorCount(SensorReadException.Crc));
        var measurement = Assert.Single(h.Errors.GetMeasurementSnapshot());
        Assert.Equal("sht", measurement.Tags["sensor"]);
    }

    [Fact]
    public async Task Sensor_recovers_by_itself_after_the_crc_fault_clears()
    {
        var temperature = Signal.Constant(20);
        var chip = new Sht3xChip(temperature, Signal.Constant(40));
        using var h = Start(Harness.Config("sht", SensorTypes.Sht3x), chip);
        var ct = TestContext.Current.CancellationToken;
        chip.Faults.BadCrc = true;
        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(2, h.Runner.ConsecutiveFailures);

        chip.Faults.Clear();
        temperature.Value = 30;

        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(30, Assert.Single(h.Drain()).Quantities[0].Value, 1);
        Assert.Equal(0, h.Runner.ConsecutiveFailures);
    }

    [Fact]
    public async Task Absent_chip_fails_every_read_and_is_probed_again_when_it_appears()
    {
        var chip = new Bmx280Chip(Bmx280Chip.Bme280Id, Bmx280Calibration.Datasheet, Signal.Constant(19), Signal.Constant(100_000), Signal.Constant(50));
        chip.Faults.Nack = true;
        using var h = Start(Harness.Config("air", SensorTypes.Bme280), chip);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(2, h.ErrorCount(SensorReadException.Io));

        chip.Faults.Nack = false;
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(19, Assert.Single(h.Drain()).Quantities[0].Value, 0.01);
    }

    [Fact]
    public async Task Nack_mid_life_drops_the_binding_and_reinitializes_the_chip()
    {
        var chip = new Mcp9808Chip(Signal.Constant(22.5));
        using var h = Start(Harness.Config("board", SensorTypes.Mcp9808), chip);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));

        chip.Faults.Nack = true;
        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        chip.Faults.Nack = false;

        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.All(h.Drain(), r => Assert.Equal(22.5, r.Quantities[0].Value, 4));
    }

    [Fact]
    public async Task Out_of_range_value_is_not_published()
    {
        var temperature = Signal.Constant(150);
        var chip = new Mcp9808Chip(temperature);
        using var h = Start(Harness.Config("board", SensorTypes.Mcp9808), chip);

        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken));
        Assert.Empty(h.Drain());
        Assert.Equal(1, h.ErrorCount(SensorReadException.OutOfRange));
    }

    [Fact]
    public async Task Stuck_chip_is_reported_after_the_configured_number_of_identical_reads()
    {
        var chip = new Sht3xChip(new DailyCycleSignal(20, 2, 12, 0.5, seed: 7), new DailyCycleSignal(50, 5, 12, 0.5, seed: 8));
        using var h = Start(Harness.Config("sht", SensorTypes.Sht3x, o => o.StuckAfter = 2), chip);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));

        chip.Faults.Stuck = true;
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(1, h.ErrorCount(SensorReadException.Stuck));
    }

    [Fact]
    public async Task Bh1750_source_publishes_lux()
    {
        using var h = Start(Harness.Config("light", SensorTypes.Bh1750), new Bh1750Chip(Signal.Constant(812)));
        await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken);
        var q = Assert.Single(Assert.Single(h.Drain()).Quantities);
        Assert.Equal(("illuminance", "lx"), (q.Name, q.Unit));
        Assert.Equal(812, q.Value, 0.5);
    }

    [Fact]
    public async Task Ads1115_channels_map_volts_to_engineering_units()
    {
        var chip = new Ads1115Chip([Signal.Constant(1.0), Signal.Constant(2.2), Signal.Constant(0), Signal.Constant(0.75)]);
        var options = Harness.Config("adc", SensorTypes.Ads1115, o => o.Channels =
        [
            new AdcChannelOptions { Name = "soil_moisture", Input = "AIN0", Scale = 50, Offset = -10, Unit = "%" },
            new AdcChannelOptions { Name = "supply", Input = "AIN1", Range = "FS6144" },
            new AdcChannelOptions { Name = "current", Input = "AIN3", Range = "FS1024", Scale = 20, Unit = "A" },
        ]);
        using var h = Start(options, chip);

        await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken);

        var q = Assert.Single(h.Drain()).Quantities;
        Assert.Equal(("soil_moisture", "%"), (q[0].Name, q[0].Unit));
        Assert.Equal(40, q[0].Value, 0.01);
        Assert.Equal(("supply", "V"), (q[1].Name, q[1].Unit));
        Assert.Equal(2.2, q[1].Value, 0.001);
        Assert.Equal(15, q[2].Value, 0.01);
    }

    [Fact]
    public async Task Clipped_adc_channel_is_not_published()
    {
        var chip = new Ads1115Chip([Signal.Constant(3.0), Signal.Constant(0), Signal.Constant(0), Signal.Constant(0)]);
        var options = Harness.Config("adc", SensorTypes.Ads1115, o => o.Channels = [new AdcChannelOptions { Name = "x", Input = "AIN0", Range = "FS2048" }]);
        using var h = Start(options, chip);

        Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, h.ErrorCount(SensorReadException.OutOfRange));
    }

    [Fact]
    public async Task Deadband_suppresses_small_moves_until_max_silence()
    {
        var temperature = Signal.Constant(20);
        var chip = new Mcp9808Chip(temperature);
        var options = Harness.Config("board", SensorTypes.Mcp9808, o =>
        {
            o.Deadband["temperature"] = 0.5;
            o.MaxSilence = TimeSpan.FromSeconds(60);
        });
        using var h = Start(options, chip);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        temperature.Value = 20.25;
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(PollOutcome.Suppressed, await h.Runner.PollOnceAsync(ct));
        temperature.Value = 20.75;
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        h.Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(PollOutcome.Suppressed, await h.Runner.PollOnceAsync(ct));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));
        Assert.Equal(3, h.Drain().Count);
    }
}
