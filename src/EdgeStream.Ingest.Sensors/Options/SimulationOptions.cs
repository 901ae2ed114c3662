namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>How a simulated chip behaves: its random seed and whether demo stimuli drive GPIO inputs.</summary>
public sealed class SimulationOptions
{
    /// <summary>Seed of the chip's noise; derived from the sensor name when unset, so runs repeat.</summary>
    public int? Seed { get; set; }

    /// <summary>Whether simulated GPIO inputs get demo edges (pulse train, door contact).</summary>
    public bool Stimulus { get; set; } = true;

    /// <summary>Mean pulse rate of a simulated pulse counter, in Hz.</summary>
    public double PulseRateHz { get; set; } = 5;

    /// <summary>Mean time between state changes of a simulated contact.</summary>
    public TimeSpan ToggleInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Directory standing for <c>/sys/devices</c> for simulated 1-Wire probes (a temp directory when unset).</summary>
    public string? OneWireRoot { get; set; }
}
