using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips.OneWire;

/// <summary>One DS18B20 probe in a <see cref="OneWireSimTree"/>. Its faults take effect at the next conversion.</summary>
public sealed class SimulatedDs18b20
{
    internal SimulatedDs18b20(string deviceId, Signal temperatureCelsius)
    {
        DeviceId = deviceId;
        Temperature = temperatureCelsius;
    }

    /// <summary>The kernel's device id, family 28 then the serial: <c>28-0316a1e2b3ff</c>.</summary>
    public string DeviceId { get; }

    /// <summary>The probe's temperature in °C.</summary>
    public Signal Temperature { get; }

    /// <summary>Nack: the probe is unplugged (its sysfs entry disappears); BadCrc: the kernel reports <c>crc=.. NO</c>; Stuck: the scratchpad keeps its last value.</summary>
    public ChipFaults Faults { get; } = new();

    internal byte[]? LastScratchpad { get; set; }
}
