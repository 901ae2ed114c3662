using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Hardware;

/// <summary>One 1-Wire temperature probe. Throws <see cref="IOException"/> when the probe is absent.</summary>
public interface IOneWireThermometer
{
    /// <summary>Converts and reads the temperature; a CRC failure is a <see cref="Sources.SensorReadException"/>.</summary>
    Task<Temperature> ReadAsync(CancellationToken cancellationToken);
}
