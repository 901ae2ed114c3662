namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>A read that produced no trustworthy value; <see cref="Reason"/> is the metric's <c>reason</c> tag.</summary>
public sealed class SensorReadException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The bus or device failed (I/O error, no acknowledgement).</summary>
    public const string Io = "io";
    /// <summary>A checksum did not match.</summary>
    public const string Crc = "crc";
    /// <summary>The value is outside the sensor's physical range.</summary>
    public const string OutOfRange = "out_of_range";
    /// <summary>The device returned nothing usable.</summary>
    public const string NoData = "no_data";
    /// <summary>The same bits too many times in a row.</summary>
    public const string Stuck = "stuck";

    /// <summary>One of the reason constants of this class.</summary>
    public string Reason { get; } = reason;

    /// <summary>Throws <see cref="OutOfRange"/> unless <paramref name="value"/> is a number within [min, max].</summary>
    public static double CheckRange(string quantity, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new SensorReadException(OutOfRange, $"{quantity} {value} is outside the sensor's range {min}…{max}.");
        }
        return value;
    }
}
