namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>The configured sources (configuration section <c>Sensors</c>, a list).</summary>
internal sealed class SensorIngestOptions
{
    public List<SensorOptions> Sensors { get; set; } = [];
}
