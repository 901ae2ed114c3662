using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>The configured sources (configuration section <c>Sensors</c>, a list).</summary>
public sealed class SensorIngestOptions
{
    /// <summary>The sources, in configuration order.</summary>
    [ValidateEnumeratedItems]
    public List<SensorOptions> Sensors { get; set; } = [];
}
