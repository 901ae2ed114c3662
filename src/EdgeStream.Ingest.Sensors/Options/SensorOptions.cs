using System.ComponentModel.DataAnnotations;

namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>One entry of the <c>Sensors</c> configuration list. Bound from configuration; validated at start.</summary>
public sealed class SensorOptions
{
    /// <summary>Unique name of the source; the record key unless <see cref="PartitionKey"/> is set.</summary>
    [Required(ErrorMessage = "{0} is required.")]
    public string Name { get; set; } = "";

    /// <summary>One of <see cref="SensorTypes.All"/>.</summary>
    public string Type { get; set; } = "";

    /// <summary><c>real</c> (default) or <c>simulated</c>.</summary>
    public string Driver { get; set; } = "real";

    /// <summary>I2C bus id (<c>/dev/i2c-N</c>).</summary>
    public int Bus { get; set; } = 1;

    /// <summary>I2C address, hex (<c>0x76</c>) or decimal; each type has a default.</summary>
    public string? Address { get; set; }

    /// <summary>GPIO pin (logical/BCM numbering) of gpio-input and pulse-counter sources.</summary>
    public int? Pin { get; set; }

    /// <summary>Input bias for GPIO: <c>up</c> (default), <c>down</c> or <c>none</c>.</summary>
    public string Pull { get; set; } = "up";

    /// <summary>1-Wire bus master directory (default <c>w1_bus_master1</c>).</summary>
    public string OneWireBus { get; set; } = "w1_bus_master1";

    /// <summary>1-Wire device id of a DS18B20 (<c>28-…</c>).</summary>
    public string? DeviceId { get; set; }

    /// <summary>Time between reads (pulse counters: between rate computations).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Log topic the readings are appended to.</summary>
    [Required(ErrorMessage = "{0} is required.")]
    public string Topic { get; set; } = "sensors";

    /// <summary>Record key (partition key); the sensor name when unset.</summary>
    public string? PartitionKey { get; set; }

    /// <summary>Static tags copied into every record.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per-quantity absolute change that triggers a publish; with none configured every reading is published.</summary>
    public Dictionary<string, double> Deadband { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Publish at least this often even when nothing moved past its deadband.</summary>
    public TimeSpan MaxSilence { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Debounce (gpio-input: the level must hold this long; pulse-counter: minimum spacing of counted pulses).</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>ADS1115 channels to read.</summary>
    public List<AdcChannelOptions> Channels { get; set; } = [];

    /// <summary>Consecutive bit-identical readings after which the sensor counts as stuck (0 = never).</summary>
    [Range(0, int.MaxValue, ErrorMessage = "{0} must be 0 (off) or positive.")]
    public int StuckAfter { get; set; }

    /// <summary>Settings of the simulated chip (Driver = simulated).</summary>
    public SimulationOptions Simulation { get; set; } = new();

    /// <summary>The type, trimmed and lower-cased.</summary>
    public string Kind => Type.Trim().ToLowerInvariant();

    /// <summary>The record key.</summary>
    public string Key => string.IsNullOrEmpty(PartitionKey) ? Name : PartitionKey;

    /// <summary>Whether the simulated chips stand in for the hardware.</summary>
    public bool Simulated => string.Equals(Driver, "simulated", StringComparison.OrdinalIgnoreCase);
}
