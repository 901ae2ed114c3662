using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// A BH1750FVI ambient light sensor (ROHM datasheet): one-byte opcodes (power down/on, reset, measurement time
/// MTreg high/low bits, continuous and one-time modes); a 2-byte read returns the data register big-endian.
/// A measurement opcode converts: <c>count = lux · 1.2 · MTreg/69</c>, doubled in H-resolution mode 2, and in
/// L-resolution mode rounded to 4 lx steps. One-time modes power down afterwards. Thread-safe through the base lock.
/// </summary>
public sealed class Bh1750Chip : SimulatedI2cChip
{
    private readonly Signal _lux;
    private bool _poweredOn;
    private int _mtReg = 69;
    private int _pendingMtHigh = 69 >> 5;
    private ushort _data;
    private bool _measuredOnce;
    private bool _fixedCount;

    /// <summary>Creates the chip at 0x23 (ADDR low) unless told otherwise.</summary>
    public Bh1750Chip(Signal illuminanceLux, int busId = 1, int address = 0x23, TimeProvider? timeProvider = null)
        : base(busId, address, timeProvider)
    {
        _lux = illuminanceLux;
    }

    /// <summary>The measurement-time register (default 69).</summary>
    public int MeasurementTime => _mtReg;

    /// <summary>Fixes the data register so measurements stop replacing it (the datasheet example reads 0x8390 → 28067 lx).</summary>
    public void LoadCount(ushort count) => Locked(() =>
    {
        _data = count;
        _fixedCount = true;
    });

    /// <inheritdoc />
    protected override void OnWrite(ReadOnlySpan<byte> data)
    {
        foreach (byte opcode in data)
        {
            Execute(opcode);
        }
    }

    /// <inheritdoc />
    protected override void OnRead(Span<byte> buffer)
    {
        if (buffer.Length > 0)
        {
            buffer[0] = (byte)(_data >> 8);
        }
        if (buffer.Length > 1)
        {
            buffer[1] = (byte)_data;
        }
    }

    private void Execute(byte opcode)
    {
        switch (opcode)
        {
            case 0x00:
                _poweredOn = false;
                break;
            case 0x01:
                _poweredOn = true;
                break;
            case 0x07:
                // Reset clears the data register; it is ignored while powered down (datasheet p.5).
                if (_poweredOn && !Faults.Stuck && !_fixedCount)
                {
                    _data = 0;
                }
                break;
            case >= 0x40 and <= 0x47:
                _pendingMtHigh = opcode & 0b111;
                break;
            case >= 0x60 and <= 0x7F:
                _mtReg = (_pendingMtHigh << 5) | (opcode & 0b1_1111);
                break;
            case 0x10 or 0x11 or 0x13:
                Measure(opcode);
                break;
            case 0x20 or 0x21 or 0x23:
                Measure(opcode);
                _poweredOn = false;
                break;
            default:
                throw new IOException($"BH1750 NACKs unknown opcode 0x{opcode:X2} (simulated).");
        }
    }

    private void Measure(byte mode)
    {
        if (!_poweredOn || _fixedCount || (Faults.Stuck && _measuredOnce))
        {
            return;
        }
        _measuredOnce = true;
        double count = Math.Max(0, _lux.Sample(Now)) * 1.2 * _mtReg / 69.0;
        if ((mode & 0x0F) == 0x01)
        {
            count *= 2;
        }
        else if ((mode & 0x0F) == 0x03)
        {
            count = Math.Round(count / 4.8) * 4.8;
        }
        _data = (ushort)Math.Clamp(Math.Round(count), 0, ushort.MaxValue);
    }
}
