using System.Diagnostics.Metrics;

namespace EdgeStream.Ingest.Sensors.Diagnostics;

/// <summary>
/// The sensor ingest's instruments on meter <c>EdgeStream.Sensors</c>, each tagged with the sensor name.
/// Thread-safe.
/// </summary>
internal sealed class SensorMetrics
{
    public const string MeterName = "EdgeStream.Sensors";
    public const string ReadErrors = "edgestream_sensor_read_errors_total";
    public const string Reads = "edgestream_sensor_reads_total";
    public const string Records = "edgestream_sensor_records_total";
    public const string Dropped = "edgestream_sensor_readings_dropped_total";

    private readonly Counter<long> _readErrors;
    private readonly Counter<long> _reads;
    private readonly Counter<long> _records;
    private readonly Counter<long> _dropped;

    private readonly SensorStatusBoard? _board;

    public SensorMetrics(IMeterFactory meterFactory, SensorStatusBoard? board = null)
    {
        _board = board;
        Meter = meterFactory.Create(MeterName);
        _readErrors = Meter.CreateCounter<long>(ReadErrors, description: "Failed sensor reads (absent device, NACK, CRC, out of range, stuck).");
        _reads = Meter.CreateCounter<long>(Reads, description: "Successful sensor reads.");
        _records = Meter.CreateCounter<long>(Records, description: "Readings appended to the log.");
        _dropped = Meter.CreateCounter<long>(Dropped, description: "Readings lost because the log append failed or the queue was full.");
    }

    public Meter Meter { get; }

    /// <summary>Creates the sensor's series at zero, so they exist before its first reading.</summary>
    public void Known(string sensor, string type = "", string driver = "", string topic = "")
    {
        _board?.Known(sensor, type, driver, topic);
        var tag = new KeyValuePair<string, object?>("sensor", sensor);
        _reads.Add(0, tag);
        _records.Add(0, tag);
        _dropped.Add(0, tag);
    }

    public void ReadFailed(string sensor, string reason, string? detail = null)
    {
        _readErrors.Add(1, new("sensor", sensor), new("reason", reason));
        _board?.ReadFailed(sensor, detail is null ? reason : $"{reason}: {detail}");
    }

    public void ReadSucceeded(string sensor)
    {
        _reads.Add(1, new KeyValuePair<string, object?>("sensor", sensor));
        _board?.ReadSucceeded(sensor);
    }

    public void RecordAppended(string sensor)
    {
        _records.Add(1, new KeyValuePair<string, object?>("sensor", sensor));
        _board?.RecordAppended(sensor);
    }

    public void ReadingDropped(string sensor) => _dropped.Add(1, new KeyValuePair<string, object?>("sensor", sensor));
}
