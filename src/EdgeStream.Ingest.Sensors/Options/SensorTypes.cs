namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>The source types the <c>Type</c> key accepts, and their default I2C addresses.</summary>
public static class SensorTypes
{
    /// <summary>Bosch BME280 (temperature, pressure, humidity), I2C.</summary>
    public const string Bme280 = "bme280";
    /// <summary>Bosch BMP280 (temperature, pressure), I2C.</summary>
    public const string Bmp280 = "bmp280";
    /// <summary>Sensirion SHT3x (temperature, humidity), I2C.</summary>
    public const string Sht3x = "sht3x";
    /// <summary>BH1750 ambient light, I2C.</summary>
    public const string Bh1750 = "bh1750";
    /// <summary>TI ADS1115 four-channel ADC, I2C.</summary>
    public const string Ads1115 = "ads1115";
    /// <summary>Microchip MCP9808 temperature, I2C.</summary>
    public const string Mcp9808 = "mcp9808";
    /// <summary>Maxim DS18B20 temperature probe, 1-Wire.</summary>
    public const string Ds18b20 = "ds18b20";
    /// <summary>A debounced digital input (door contact).</summary>
    public const string GpioInput = "gpio-input";
    /// <summary>A pulse counter reporting a rate (flow meter).</summary>
    public const string PulseCounter = "pulse-counter";

    /// <summary>Every accepted type.</summary>
    public static readonly IReadOnlyList<string> All = [Bme280, Bmp280, Sht3x, Bh1750, Ads1115, Mcp9808, Ds18b20, GpioInput, PulseCounter];

    /// <summary>Whether the type is read over I2C.</summary>
    public static bool IsI2c(string type) => DefaultAddress(type) is not null;

    /// <summary>Whether the type is a GPIO input.</summary>
    public static bool IsGpio(string type) => type is GpioInput or PulseCounter;

    /// <summary>The default I2C address of the type; null for non-I2C types.</summary>
    public static int? DefaultAddress(string type) => type switch
    {
        Bme280 or Bmp280 => 0x76,
        Sht3x => 0x44,
        Bh1750 => 0x23,
        Ads1115 => 0x48,
        Mcp9808 => 0x18,
        _ => null,
    };

    /// <summary>Parses <c>0x76</c> or <c>118</c>; null when malformed.</summary>
    public static int? ParseAddress(string? text, string type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultAddress(type);
        }
        text = text.Trim();
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out int value)
            : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
        return ok ? value : null;
    }
}
