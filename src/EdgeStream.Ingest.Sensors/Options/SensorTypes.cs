namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>The source types the <c>Type</c> key accepts, and their default I2C addresses.</summary>
internal static class SensorTypes
{
    public const string Bme280 = "bme280";
    public const string Bmp280 = "bmp280";
    public const string Sht3x = "sht3x";
    public const string Bh1750 = "bh1750";
    public const string Ads1115 = "ads1115";
    public const string Mcp9808 = "mcp9808";
    public const string Ds18b20 = "ds18b20";
    public const string GpioInput = "gpio-input";
    public const string PulseCounter = "pulse-counter";

    public static readonly IReadOnlyList<string> All = [Bme280, Bmp280, Sht3x, Bh1750, Ads1115, Mcp9808, Ds18b20, GpioInput, PulseCounter];

    public static bool IsI2c(string type) => DefaultAddress(type) is not null;

    public static bool IsGpio(string type) => type is GpioInput or PulseCounter;

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
