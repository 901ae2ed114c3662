using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>One 1-Wire temperature probe. Throws <see cref="IOException"/> when the probe is absent.</summary>
internal interface IOneWireThermometer
{
    Task<Temperature> ReadAsync(CancellationToken cancellationToken);
}
