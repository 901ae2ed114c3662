using System.Globalization;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// Parses the Linux w1_therm driver's w1_slave text with the rules of the OneWire binding's own parser
/// (<c>YES</c> on the CRC line, then <c>t=</c> millidegrees), reporting a CRC failure distinctly. Used for simulated
/// probes, because the binding hard-codes <c>/sys/devices</c> as its root.
/// </summary>
public static class W1SlaveParser
{
    /// <summary>The temperature in <paramref name="text"/>; a <see cref="SensorReadException"/> when the CRC line says NO or no value is there.</summary>
    public static Temperature Parse(string text)
    {
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        string crcLine = newline < 0 ? text : text[..newline];
        if (!crcLine.TrimEnd().EndsWith("YES", StringComparison.Ordinal))
        {
            throw new SensorReadException(SensorReadException.Crc, $"DS18B20 scratchpad CRC check failed: '{crcLine.Trim()}'.");
        }
        int t = text.LastIndexOf("t=", StringComparison.Ordinal);
        if (t < 0 || !int.TryParse(text.AsSpan(t + 2).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int milli))
        {
            throw new SensorReadException(SensorReadException.NoData, "DS18B20 w1_slave has no temperature.");
        }
        return Temperature.FromDegreesCelsius(milli * 0.001);
    }
}
