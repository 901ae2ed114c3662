using EdgeStream.Ingest.Sensors.Readings;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// A sensor read on a schedule. <see cref="ReadAsync"/> returns fresh quantities or throws
/// <see cref="SensorReadException"/>; it re-opens the device by itself after a failure. Not thread-safe: the runner
/// calls it from one loop while holding the bus lock named by <see cref="BusKey"/>.
/// </summary>
internal interface IPolledSensor : IDisposable
{
    /// <summary>Reads on the same bus are serialized on this key (<c>i2c-1</c>, <c>w1-w1_bus_master1</c>).</summary>
    string BusKey { get; }

    ValueTask<IReadOnlyList<ReadingQuantity>> ReadAsync(CancellationToken cancellationToken);
}
