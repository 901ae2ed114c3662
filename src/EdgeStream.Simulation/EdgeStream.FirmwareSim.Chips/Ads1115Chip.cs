using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// An ADS1115 16-bit ADC (TI datasheet SBAS444, §9.6): a pointer register selects conversion (0), config (1),
/// lo-thresh (2) or hi-thresh (3); writes are pointer + 16-bit big-endian value, reads return the selected register.
/// Conversions are instantaneous: the config OS bit always reads 1 ("not converting"); writing OS=1 in single-shot
/// mode converts, and in continuous mode every conversion-register read converts. A conversion reads the
/// multiplexer's inputs (four single-ended signals, or their differences) and codes
/// <c>round(V/FS·32768)</c> clamped to the 16-bit range. Thread-safe through the base class lock.
/// </summary>
public sealed class Ads1115Chip : SimulatedI2cChip
{
    private static readonly double[] FullScale = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];
    private readonly Signal[] _inputs;
    private readonly ushort[] _registers = [0x0000, 0x8583, 0x8000, 0x7FFF];
    private int _pointer;
    private bool _convertedOnce;

    /// <summary>Creates the chip at 0x48 (ADDR to GND) with the voltages on AIN0…AIN3.</summary>
    public Ads1115Chip(IReadOnlyList<Signal> inputVolts, int busId = 1, int address = 0x48, TimeProvider? timeProvider = null)
        : base(busId, address, timeProvider)
    {
        if (inputVolts.Count != 4)
        {
            throw new ArgumentException("The ADS1115 has four inputs.", nameof(inputVolts));
        }
        _inputs = [.. inputVolts];
    }

    /// <summary>Conversions performed.</summary>
    public int Conversions { get; private set; }

    /// <summary>The code a conversion gives for <paramref name="volts"/> at PGA setting <paramref name="pga"/> (config bits 11:9).</summary>
    public static short Code(double volts, int pga) => (short)Math.Clamp(Math.Round(volts / FullScale[pga] * 32768), short.MinValue, short.MaxValue);

    /// <inheritdoc />
    protected override void OnWrite(ReadOnlySpan<byte> data)
    {
        _pointer = data[0] & 0b11;
        if (data.Length < 3)
        {
            return;
        }
        ushort value = (ushort)((data[1] << 8) | data[2]);
        switch (_pointer)
        {
            case 0:
                // The conversion register is read-only.
                break;
            case 1:
                _registers[1] = (ushort)(value & 0x7FFF);
                bool singleShot = (value & 0x0100) != 0;
                if ((value & 0x8000) != 0 || !singleShot)
                {
                    Convert();
                }
                break;
            default:
                _registers[_pointer] = value;
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnRead(Span<byte> buffer)
    {
        bool continuous = (_registers[1] & 0x0100) == 0;
        if (_pointer == 0 && continuous)
        {
            Convert();
        }
        // OS reads 1 when no conversion is in progress, which is always here.
        ushort value = _pointer == 1 ? (ushort)(_registers[1] | 0x8000) : _registers[_pointer];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (i % 2) == 0 ? (byte)(value >> 8) : (byte)value;
        }
    }

    private void Convert()
    {
        Conversions++;
        if (Faults.Stuck && _convertedOnce)
        {
            return;
        }
        _convertedOnce = true;
        int mux = (_registers[1] >> 12) & 0b111;
        int pga = (_registers[1] >> 9) & 0b111;
        var now = Now;
        double volts = mux switch
        {
            0 => _inputs[0].Sample(now) - _inputs[1].Sample(now),
            1 => _inputs[0].Sample(now) - _inputs[3].Sample(now),
            2 => _inputs[1].Sample(now) - _inputs[3].Sample(now),
            3 => _inputs[2].Sample(now) - _inputs[3].Sample(now),
            _ => _inputs[mux - 4].Sample(now),
        };
        _registers[0] = (ushort)Code(volts, pga);
    }
}
