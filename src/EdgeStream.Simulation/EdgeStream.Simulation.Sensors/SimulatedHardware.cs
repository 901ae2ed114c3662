using System.Collections.Concurrent;
using System.Device.Gpio;
using System.Device.I2c;
using EdgeStream.FirmwareSim.Chips;
using EdgeStream.FirmwareSim.Chips.Bmx280;
using EdgeStream.FirmwareSim.Chips.Gpio;
using EdgeStream.FirmwareSim.Chips.OneWire;
using EdgeStream.FirmwareSim.Chips.Signals;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Sources;
using UnitsNet;

namespace EdgeStream.Simulation.Sensors;

/// <summary>
/// The simulated chips of the sources configured with <c>Driver: simulated</c>, one per sensor name, created on
/// first use with day-cycle demo signals seeded from the sensor (so runs repeat). Tests put their own chips in
/// with <see cref="Use"/> before the ingest starts, and reach them to inject faults. GPIO inputs get their demo
/// stimulus from <see cref="RunStimulusAsync"/>, which the host's stimulus service runs. Thread-safe.
/// </summary>
public sealed class SimulatedHardware : ISensorHardware, IDisposable
{
    private readonly ConcurrentDictionary<string, SimulatedI2cChip> _chips = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OneWireSimTree> _trees = new(StringComparer.Ordinal);
    private readonly SimulatedGpioDriver _driver = new();
    private readonly Lazy<GpioController> _gpio;
    private readonly Lock _gate = new();
    private string? _tempRoot;

    private readonly TimeProvider _time;

    /// <summary>Simulated chips timed by <paramref name="timeProvider"/>.</summary>
    public SimulatedHardware(TimeProvider timeProvider)
    {
        _time = timeProvider;
        _gpio = new Lazy<GpioController>(() => new GpioController(_driver));
    }

    /// <summary>The GPIO driver every simulated pin is on.</summary>
    public SimulatedGpioDriver GpioDriver => _driver;

    /// <summary>Makes <paramref name="chip"/> the device of sensor <paramref name="sensorName"/>.</summary>
    public void Use(string sensorName, SimulatedI2cChip chip) => _chips[sensorName] = chip;

    /// <summary>The chip of sensor <paramref name="sensorName"/>, once created or put in.</summary>
    public SimulatedI2cChip? Chip(string sensorName) => _chips.GetValueOrDefault(sensorName);

    /// <summary>The 1-Wire tree sources with this root use (the default temp tree for null).</summary>
    public OneWireSimTree Tree(string? root) => _trees.GetOrAdd(root ?? DefaultRoot(), r => new OneWireSimTree(r, timeProvider: _time));

    /// <inheritdoc/>
    public I2cDevice OpenI2c(SensorOptions sensor, int address) => _chips.GetOrAdd(sensor.Name, _ => DemoChip(sensor, address));

    /// <inheritdoc/>
    public GpioController Gpio(SensorOptions sensor) => _gpio.Value;

    /// <inheritdoc/>
    public IOneWireThermometer OpenThermometer(SensorOptions sensor)
    {
        var tree = Tree(sensor.Simulation.OneWireRoot);
        string id = sensor.DeviceId!;
        if (tree.Find(id) is null)
        {
            tree.AddThermometer(id, new DailyCycleSignal(12, 1.5, 16, 0.02, Seed(sensor), -55, 125));
        }
        return new SimulatedThermometer(tree, id);
    }

    /// <summary>Drives the demo input of a simulated GPIO source (pulse train, door contact) until cancelled.</summary>
    public Task RunStimulusAsync(SensorOptions sensor, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!sensor.Simulation.Stimulus)
        {
            return Task.CompletedTask;
        }
        int pin = sensor.Pin!.Value;
        return sensor.Kind == SensorTypes.PulseCounter
            ? GpioStimulus.RunPulseTrainAsync(GpioDriver, pin, new DailyCycleSignal(sensor.Simulation.PulseRateHz, sensor.Simulation.PulseRateHz / 2, 12, sensor.Simulation.PulseRateHz / 10, Seed(sensor), 0), timeProvider, cancellationToken)
            : GpioStimulus.RunContactAsync(GpioDriver, pin, sensor.Simulation.ToggleInterval, Seed(sensor), timeProvider, cancellationToken);
    }

    /// <summary>Closes the GPIO controller and deletes the temporary 1-Wire tree.</summary>
    public void Dispose()
    {
        if (_gpio.IsValueCreated)
        {
            _gpio.Value.Dispose();
        }
        if (_tempRoot is not null && Directory.Exists(_tempRoot))
        {
            Directory.Delete(_tempRoot, recursive: true);
        }
    }

    private static int Seed(SensorOptions sensor)
    {
        if (sensor.Simulation.Seed is { } seed)
        {
            return seed;
        }
        // A stable FNV-1a hash: string.GetHashCode is randomized per process.
        uint hash = 2166136261;
        foreach (char c in sensor.Name)
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)hash;
    }

    private string DefaultRoot()
    {
        lock (_gate)
        {
            return _tempRoot ??= Directory.CreateTempSubdirectory("edgestream-w1-").FullName;
        }
    }

    private SimulatedI2cChip DemoChip(SensorOptions s, int address)
    {
        int seed = Seed(s);
        DailyCycleSignal Daily(double mean, double amplitude, double peakHour, double noise, int salt, double min = double.MinValue, double max = double.MaxValue)
            => new(mean, amplitude, peakHour, noise, seed + salt, min, max);

        return s.Kind switch
        {
            SensorTypes.Bme280 or SensorTypes.Bmp280 => new Bmx280Chip(
                s.Kind == SensorTypes.Bme280 ? Bmx280Chip.Bme280Id : Bmx280Chip.Bmp280Id, Bmx280Calibration.Datasheet,
                Daily(18, 6, 14, 0.05, 1), Daily(101_300, 150, 10, 3, 2), Daily(55, 15, 4, 0.3, 3, 0, 100), s.Bus, address, _time),
            SensorTypes.Sht3x => new Sht3xChip(Daily(21, 3, 15, 0.05, 1), Daily(45, 10, 5, 0.3, 2, 0, 100), s.Bus, address, _time),
            SensorTypes.Bh1750 => new Bh1750Chip(Daily(400, 600, 12, 5, 1, 0, 50_000), s.Bus, address, _time),
            SensorTypes.Ads1115 => new Ads1115Chip([Daily(1.65, 0.5, 13, 0.005, 1, 0, 4), Daily(2.0, 0.2, 9, 0.005, 2, 0, 4), Daily(0.5, 0.1, 18, 0.002, 3, 0, 4), Daily(3.0, 0.05, 0, 0.002, 4, 0, 4)], s.Bus, address, _time),
            SensorTypes.Mcp9808 => new Mcp9808Chip(Daily(22, 2, 15, 0.03, 1), s.Bus, address, _time),
            _ => throw new InvalidOperationException($"Sensor type {s.Kind} has no simulated I2C chip."),
        };
    }

    /// <summary>Plays the kernel: converts (rewrites w1_slave), then reads and parses the file.</summary>
    private sealed class SimulatedThermometer(OneWireSimTree tree, string deviceId) : IOneWireThermometer
    {
        public async Task<Temperature> ReadAsync(CancellationToken cancellationToken)
        {
            tree.Convert(deviceId);
            string text = await File.ReadAllTextAsync(tree.SlavePath(deviceId), cancellationToken).ConfigureAwait(false);
            return W1SlaveParser.Parse(text);
        }
    }
}
