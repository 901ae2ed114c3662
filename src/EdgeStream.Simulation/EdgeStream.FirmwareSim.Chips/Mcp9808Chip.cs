using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// An MCP9808 temperature sensor (Microchip DS25095): a pointer selects a register; config, limits and ambient
/// temperature are 16-bit big-endian, resolution (0x08) is 8-bit. Reading T_A (0x05) samples the signal (the chip
/// converts continuously) unless it is shut down (config bit 8) or stuck. T_A coding (datasheet Equation 5-1):
/// bits 11:0 are °C·16, bit 12 the sign (two's complement over 13 bits), bits 15:13 alert flags.
/// Thread-safe through the base class lock.
/// </summary>
public sealed class Mcp9808Chip : SimulatedI2cChip
{
    private const int Config = 0x01;
    private const int Ambient = 0x05;
    private const int Resolution = 0x08;
    private readonly Signal _temperature;
    private readonly ushort[] _registers = new ushort[16];
    private int _pointer;
    private bool _convertedOnce;

    /// <summary>Creates the chip at 0x18 (A2..A0 low) unless told otherwise.</summary>
    public Mcp9808Chip(Signal temperatureCelsius, int busId = 1, int address = 0x18, TimeProvider? timeProvider = null)
        : base(busId, address, timeProvider)
    {
        _temperature = temperatureCelsius;
        _registers[0x06] = 0x0054;
        _registers[0x07] = 0x0400;
        _registers[Resolution] = 0x03;
    }

    /// <summary>Whether the chip is in shutdown (config bit 8).</summary>
    public bool ShutDown => (_registers[Config] & 0x0100) != 0;

    /// <summary>The T_A register word for <paramref name="celsius"/>, rounded to the 0.0625 °C step.</summary>
    public static ushort AmbientWord(double celsius)
    {
        int sixteenths = (int)Math.Round(Math.Clamp(celsius, -255.9375, 255.9375) * 16);
        return (ushort)(sixteenths & 0x1FFF);
    }

    /// <inheritdoc />
    protected override void OnWrite(ReadOnlySpan<byte> data)
    {
        _pointer = data[0] & 0x0F;
        if (_pointer == Resolution && data.Length >= 2)
        {
            _registers[Resolution] = (ushort)(data[1] & 0b11);
        }
        else if (_pointer is >= Config and <= 0x04 && data.Length >= 3)
        {
            _registers[_pointer] = (ushort)((data[1] << 8) | data[2]);
        }
    }

    /// <inheritdoc />
    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer == Ambient && !ShutDown && !(Faults.Stuck && _convertedOnce))
        {
            _convertedOnce = true;
            _registers[Ambient] = AmbientWord(_temperature.Sample(Now));
        }
        ushort value = _registers[_pointer];
        if (_pointer == Resolution)
        {
            buffer[0] = (byte)value;
            return;
        }
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (i % 2) == 0 ? (byte)(value >> 8) : (byte)value;
        }
    }
}
