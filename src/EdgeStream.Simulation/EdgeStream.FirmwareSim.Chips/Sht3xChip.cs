using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// An SHT3x humidity/temperature sensor (datasheet "SHT3x-DIS", §4): 16-bit commands; a single-shot measurement
/// command (0x24xx or 0x2Cxx) converts, and the next 6-byte read returns T-msb, T-lsb, CRC, RH-msb, RH-lsb, CRC.
/// Reading with no measurement pending is NACKed, as on the chip. With <see cref="ChipFaults.BadCrc"/> the CRC bytes
/// are wrong. Thread-safe through the base class lock.
/// </summary>
public sealed class Sht3xChip : SimulatedI2cChip
{
    private readonly Signal _temperature;
    private readonly Signal _humidity;
    private readonly byte[] _frame = new byte[6];
    private bool _pending;
    private bool _measuredOnce;

    /// <summary>Creates the chip at 0x44 (ADDR pin low) unless told otherwise.</summary>
    public Sht3xChip(Signal temperatureCelsius, Signal humidityPercent, int busId = 1, int address = 0x44, TimeProvider? timeProvider = null)
        : base(busId, address, timeProvider)
    {
        _temperature = temperatureCelsius;
        _humidity = humidityPercent;
    }

    /// <summary>Whether the heater is on (commands 0x306D / 0x3066).</summary>
    public bool HeaterOn { get; private set; }

    /// <summary>Measurements performed.</summary>
    public int Measurements { get; private set; }

    /// <summary>The raw temperature word for <paramref name="celsius"/>: <c>T = −45 + 175·S/65535</c> (datasheet §4.13).</summary>
    public static ushort TemperatureWord(double celsius) => (ushort)Math.Clamp(Math.Round((celsius + 45) * 65535 / 175), 0, 65535);

    /// <summary>The raw humidity word for <paramref name="percent"/>: <c>RH = 100·S/65535</c>.</summary>
    public static ushort HumidityWord(double percent) => (ushort)Math.Clamp(Math.Round(percent * 65535 / 100), 0, 65535);

    /// <inheritdoc />
    protected override void OnWrite(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            throw new IOException("SHT3x NACKs a command shorter than 16 bits (simulated).");
        }
        int command = (data[0] << 8) | data[1];
        switch (command >> 8)
        {
            case 0x24 or 0x2C:
                Measure();
                break;
            default:
                if (command == 0x306D)
                {
                    HeaterOn = true;
                }
                else if (command is 0x3066 or 0x30A2)
                {
                    // Soft reset turns the heater off and drops a pending result.
                    HeaterOn = false;
                    _pending = command != 0x30A2 && _pending;
                }
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnRead(Span<byte> buffer)
    {
        if (!_pending)
        {
            throw new IOException("SHT3x NACKs a read with no measurement pending (simulated).");
        }
        _pending = false;
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = i < _frame.Length ? _frame[i] : (byte)0xFF;
        }
        if (Faults.BadCrc && buffer.Length >= 6)
        {
            buffer[2] ^= 0x5A;
            buffer[5] ^= 0x5A;
        }
    }

    private void Measure()
    {
        Measurements++;
        _pending = true;
        if (Faults.Stuck && _measuredOnce)
        {
            return;
        }
        _measuredOnce = true;
        var now = Now;
        WriteWord(0, TemperatureWord(_temperature.Sample(now)));
        WriteWord(3, HumidityWord(_humidity.Sample(now)));
    }

    private void WriteWord(int offset, ushort word)
    {
        _frame[offset] = (byte)(word >> 8);
        _frame[offset + 1] = (byte)word;
        _frame[offset + 2] = SensirionCrc8.Compute(_frame.AsSpan(offset, 2));
    }
}
