namespace EdgeStream.Ingest.Sensors.Readings;

/// <summary>A successful reading of one sensor, ready to become a record. Failed reads never become one.</summary>
internal sealed record SensorReading(string Sensor, string Type, DateTimeOffset Timestamp, IReadOnlyList<ReadingQuantity> Quantities);
