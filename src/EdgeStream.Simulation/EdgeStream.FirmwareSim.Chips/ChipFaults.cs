namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// Faults a simulated chip injects until they are cleared. Flags are read on every bus transfer, so a test can
/// flip them between reads from any thread.
/// </summary>
public sealed class ChipFaults
{
    private volatile bool _nack;
    private volatile bool _badCrc;
    private volatile bool _stuck;

    /// <summary>Every transfer fails as a missing ACK does on Linux: <see cref="IOException"/>. Also models an absent chip.</summary>
    public bool Nack { get => _nack; set => _nack = value; }

    /// <summary>Chips that send checksums send wrong ones (SHT3x CRC-8, DS18B20 scratchpad CRC).</summary>
    public bool BadCrc { get => _badCrc; set => _badCrc = value; }

    /// <summary>The chip stops converting: it keeps returning the last measurement.</summary>
    public bool Stuck { get => _stuck; set => _stuck = value; }

    /// <summary>Clears every fault.</summary>
    public void Clear()
    {
        Nack = false;
        BadCrc = false;
        Stuck = false;
    }
}
