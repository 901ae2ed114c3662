using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips.Bmx280;

/// <summary>
/// A BME280 (chip id 0x60) or BMP280 (0x58) register map: calibration NVM at 0x88…0xA1/0xE1…0xE7, control registers
/// 0xF2…0xF5, data registers 0xF7…0xFE with auto-increment reads. A conversion samples the signals and stores the raw
/// ADC words that make the datasheet compensation return them; it runs when a forced measurement is started
/// (ctrl_meas mode 01/10, after which the mode returns to sleep) or, in normal mode, before a data read once the
/// standby period has passed. Thread-safe through the base class lock.
/// </summary>
public sealed class Bmx280Chip : SimulatedI2cChip
{
    /// <summary>BME280 chip id.</summary>
    public const byte Bme280Id = 0x60;

    /// <summary>BMP280 chip id.</summary>
    public const byte Bmp280Id = 0x58;

    private const byte ChipIdRegister = 0xD0;
    private const byte ResetRegister = 0xE0;
    private const byte CtrlHum = 0xF2;
    private const byte CtrlMeas = 0xF4;
    private const byte Config = 0xF5;
    private const byte PressMsb = 0xF7;
    private const byte HumLsb = 0xFE;

    private readonly byte[] _registers = new byte[256];
    private readonly Signal _temperature;
    private readonly Signal _pressure;
    private readonly Signal? _humidity;
    private byte _pointer;
    private bool _fixedAdc;
    private DateTimeOffset _lastConversion = DateTimeOffset.MinValue;

    /// <summary>Creates the chip; <paramref name="humidityPercent"/> is ignored on a BMP280.</summary>
    public Bmx280Chip(byte chipId, Bmx280Calibration calibration, Signal temperatureCelsius, Signal pressurePascals, Signal? humidityPercent,
        int busId = 1, int address = 0x76, TimeProvider? timeProvider = null)
        : base(busId, address, timeProvider)
    {
        if (chipId is not (Bme280Id or Bmp280Id))
        {
            throw new ArgumentOutOfRangeException(nameof(chipId), chipId, "Expected 0x60 (BME280) or 0x58 (BMP280).");
        }
        Calibration = calibration;
        _temperature = temperatureCelsius;
        _pressure = pressurePascals;
        _humidity = chipId == Bme280Id ? humidityPercent : null;
        _registers[ChipIdRegister] = chipId;
        // Data registers hold their reset values until the first conversion (datasheet Table 18).
        StoreAdc(0x80000, 0x80000, 0x8000);
        WriteCalibration(calibration, chipId == Bme280Id);
    }

    /// <summary>The trimming parameters in NVM.</summary>
    public Bmx280Calibration Calibration { get; }

    /// <summary>Conversions performed.</summary>
    public int Conversions { get; private set; }

    /// <summary>
    /// Loads raw ADC words into the data registers and stops conversions from replacing them (the datasheet worked
    /// example is given as ADC words).
    /// </summary>
    public void LoadAdc(int adcT, int adcP, int adcH = 0) => Locked(() =>
    {
        _fixedAdc = true;
        StoreAdc(adcT, adcP, adcH);
    });

    /// <inheritdoc />
    protected override void OnWrite(ReadOnlySpan<byte> data)
    {
        _pointer = data[0];
        // A multi-byte write is register/value pairs (datasheet §6.2.1), not auto-increment.
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            WriteRegister(data[i], data[i + 1]);
        }
    }

    /// <inheritdoc />
    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer is >= PressMsb and <= HumLsb && (_registers[CtrlMeas] & 0b11) == 0b11 && Now - _lastConversion >= StandbyPeriod())
        {
            Convert();
        }
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _registers[(byte)(_pointer + i)];
        }
    }

    private void WriteRegister(byte register, byte value)
    {
        switch (register)
        {
            case ResetRegister when value == 0xB6:
                _registers[CtrlHum] = 0;
                _registers[CtrlMeas] = 0;
                _registers[Config] = 0;
                break;
            case CtrlHum or Config:
                _registers[register] = value;
                break;
            case CtrlMeas:
                int mode = value & 0b11;
                if (mode is 0b01 or 0b10)
                {
                    Convert();
                    // A forced conversion ends in sleep mode (datasheet §3.3.3).
                    value = (byte)(value & 0b1111_1100);
                }
                _registers[CtrlMeas] = value;
                break;
            default:
                // Calibration, id and data registers are read-only.
                break;
        }
    }

    private TimeSpan StandbyPeriod()
    {
        // t_sb in config[7:5] (datasheet Table 27), in ms.
        double[] standbyMs = [0.5, 62.5, 125, 250, 500, 1000, 10, 20];
        return TimeSpan.FromMilliseconds(standbyMs[_registers[Config] >> 5]);
    }

    private void Convert()
    {
        Conversions++;
        _lastConversion = Now;
        if (_fixedAdc || Faults.Stuck)
        {
            return;
        }
        var now = Now;
        int adcT = Bmx280Compensation.AdcForTemperature(_temperature.Sample(now), Calibration);
        double tFine = Bmx280Compensation.Temperature(adcT, Calibration).TFine;
        int adcP = Bmx280Compensation.AdcForPressure(_pressure.Sample(now), tFine, Calibration);
        int adcH = _humidity is null ? 0 : Bmx280Compensation.AdcForHumidity(_humidity.Sample(now), tFine, Calibration);
        StoreAdc(adcT, adcP, adcH);
    }

    private void StoreAdc(int adcT, int adcP, int adcH)
    {
        // 20-bit words as msb, lsb, xlsb[7:4] (datasheet Table 18); humidity is 16-bit big-endian.
        Store20(PressMsb, adcP);
        Store20(0xFA, adcT);
        if (_registers[ChipIdRegister] == Bme280Id)
        {
            _registers[0xFD] = (byte)(adcH >> 8);
            _registers[0xFE] = (byte)adcH;
        }
    }

    private void Store20(int register, int adc)
    {
        _registers[register] = (byte)(adc >> 12);
        _registers[register + 1] = (byte)(adc >> 4);
        _registers[register + 2] = (byte)((adc & 0xF) << 4);
    }

    private void WriteCalibration(Bmx280Calibration c, bool humidity)
    {
        ushort[] words = [c.T1, (ushort)c.T2, (ushort)c.T3, c.P1, (ushort)c.P2, (ushort)c.P3, (ushort)c.P4, (ushort)c.P5, (ushort)c.P6, (ushort)c.P7, (ushort)c.P8, (ushort)c.P9];
        for (int i = 0; i < words.Length; i++)
        {
            _registers[0x88 + 2 * i] = (byte)words[i];
            _registers[0x89 + 2 * i] = (byte)(words[i] >> 8);
        }
        if (!humidity)
        {
            return;
        }
        // Humidity trimming layout, datasheet BME280 Table 16: H4 and H5 are 12-bit values sharing 0xE5.
        _registers[0xA1] = c.H1;
        _registers[0xE1] = (byte)c.H2;
        _registers[0xE2] = (byte)(c.H2 >> 8);
        _registers[0xE3] = c.H3;
        _registers[0xE4] = (byte)(c.H4 >> 4);
        _registers[0xE5] = (byte)((c.H4 & 0x0F) | ((c.H5 & 0x0F) << 4));
        _registers[0xE6] = (byte)(c.H5 >> 4);
        _registers[0xE7] = (byte)c.H6;
    }
}
