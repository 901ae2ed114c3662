namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>A read that produced no trustworthy value; <see cref="Reason"/> is the metric's <c>reason</c> tag.</summary>
internal sealed class SensorReadException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public const string Io = "io";
    public const string Crc = "crc";
    public const string OutOfRange = "out_of_range";
    public const string NoData = "no_data";
    public const string Stuck = "stuck";

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
