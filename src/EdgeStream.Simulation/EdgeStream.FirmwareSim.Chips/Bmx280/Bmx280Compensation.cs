namespace EdgeStream.FirmwareSim.Chips.Bmx280;

/// <summary>
/// The datasheet's floating-point compensation formulas (BMP280 §8.1, BME280 §8.1) and their inverses, which the
/// chip uses to turn a target temperature/pressure/humidity into the raw ADC words a real chip would report.
/// Inverses search the integer ADC range, because the forward formulas are monotonic there but not invertible in
/// closed form once the humidity term is included. Pure functions; thread-safe.
/// </summary>
public static class Bmx280Compensation
{
    /// <summary>Largest 20-bit ADC word (temperature, pressure).</summary>
    public const int MaxAdc20 = (1 << 20) - 1;

    /// <summary>Temperature in °C and t_fine for a raw temperature word.</summary>
    public static (double Celsius, double TFine) Temperature(int adcT, Bmx280Calibration c)
    {
        double var1 = (adcT / 16384.0 - c.T1 / 1024.0) * c.T2;
        double var2 = adcT / 131072.0 - c.T1 / 8192.0;
        var2 = var2 * var2 * c.T3;
        double tFine = var1 + var2;
        return (tFine / 5120.0, tFine);
    }

    /// <summary>Pressure in Pa for a raw pressure word at temperature <paramref name="tFine"/>.</summary>
    public static double Pressure(int adcP, double tFine, Bmx280Calibration c)
    {
        double var1 = tFine / 2.0 - 64000.0;
        double var2 = var1 * var1 * c.P6 / 32768.0;
        var2 += var1 * c.P5 * 2.0;
        var2 = var2 / 4.0 + c.P4 * 65536.0;
        var1 = (c.P3 * var1 * var1 / 524288.0 + c.P2 * var1) / 524288.0;
        var1 = (1.0 + var1 / 32768.0) * c.P1;
        if (var1 == 0.0)
        {
            return 0;
        }
        double p = 1048576.0 - adcP;
        p = (p - var2 / 4096.0) * 6250.0 / var1;
        var1 = c.P9 * p * p / 2147483648.0;
        var2 = p * c.P8 / 32768.0;
        return p + (var1 + var2 + c.P7) / 16.0;
    }

    /// <summary>Relative humidity in % (clamped to 0…100) for a raw humidity word at temperature <paramref name="tFine"/>.</summary>
    public static double Humidity(int adcH, double tFine, Bmx280Calibration c)
    {
        double h = tFine - 76800.0;
        h = (adcH - (c.H4 * 64.0 + c.H5 / 16384.0 * h)) *
            (c.H2 / 65536.0 * (1.0 + c.H6 / 67108864.0 * h * (1.0 + c.H3 / 67108864.0 * h)));
        h *= 1.0 - c.H1 * h / 524288.0;
        return Math.Clamp(h, 0, 100);
    }

    /// <summary>The temperature word whose compensated value is nearest <paramref name="celsius"/>.</summary>
    public static int AdcForTemperature(double celsius, Bmx280Calibration c)
        => Nearest(0, MaxAdc20, celsius, adc => Temperature(adc, c).Celsius);

    /// <summary>The pressure word whose compensated value at <paramref name="tFine"/> is nearest <paramref name="pascals"/>.</summary>
    public static int AdcForPressure(double pascals, double tFine, Bmx280Calibration c)
        => Nearest(0, MaxAdc20, pascals, adc => Pressure(adc, tFine, c));

    /// <summary>The humidity word whose compensated value at <paramref name="tFine"/> is nearest <paramref name="percent"/>.</summary>
    public static int AdcForHumidity(double percent, double tFine, Bmx280Calibration c)
        => Nearest(0, ushort.MaxValue, percent, adc => Humidity(adc, tFine, c));

    /// <summary>Binary search over a monotonic (rising or falling) function of an integer ADC word.</summary>
    private static int Nearest(int lo, int hi, double target, Func<int, double> f)
    {
        bool rising = f(hi) >= f(lo);
        int a = lo;
        int b = hi;
        while (a < b)
        {
            int mid = a + (b - a) / 2;
            double v = f(mid);
            if (rising ? v < target : v > target)
            {
                a = mid + 1;
            }
            else
            {
                b = mid;
            }
        }
        // a is the first word at or past the target; its predecessor may be closer.
        if (a > lo && Math.Abs(f(a - 1) - target) <= Math.Abs(f(a) - target))
        {
            return a - 1;
        }
        return a;
    }
}
