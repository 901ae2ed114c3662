using System.Device.I2c;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Readings;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// An I2C sensor read through an Iot.Device.Bindings class. The binding is created on first use and dropped after
/// a bus error, so a chip that was unplugged or power-cycled is probed and configured afresh on the next attempt.
/// Dropping disposes only the I2C handle: some bindings' Dispose talks to the chip (and retries with sleeps).
/// </summary>
internal abstract class I2cBindingSensor<TBinding>(SensorOptions options, ISensorHardware hardware) : IPolledSensor
    where TBinding : class
{
    private I2cDevice? _device;
    private TBinding? _binding;

    protected SensorOptions Options { get; } = options;

    public string BusKey => $"i2c-{Options.Bus}";

    public async ValueTask<IReadOnlyList<ReadingQuantity>> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_binding is null)
            {
                int address = SensorTypes.ParseAddress(Options.Address, Options.Kind)!.Value;
                _device = Wrap(hardware.OpenI2c(Options, address));
                _binding = CreateBinding(_device);
            }
            return await ReadCoreAsync(_binding, cancellationToken).ConfigureAwait(false);
        }
        catch (SensorReadException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException || e.GetType() == typeof(Exception))
        {
            // Bindings report a missing or wrong chip as IOException (Bmxx80), TimeoutException (Ads1115) or a plain Exception (Mcp9808).
            Drop();
            throw new SensorReadException(SensorReadException.Io, e.Message, e);
        }
    }

    public void Dispose() => Drop();

    /// <summary>Lets a sensor put a decorator between the binding and the bus (the SHT3x CRC check).</summary>
    protected virtual I2cDevice Wrap(I2cDevice device) => device;

    protected abstract TBinding CreateBinding(I2cDevice device);

    protected abstract ValueTask<IReadOnlyList<ReadingQuantity>> ReadCoreAsync(TBinding binding, CancellationToken cancellationToken);

    private void Drop()
    {
        try
        {
            _device?.Dispose();
        }
        catch (IOException)
        {
            // The handle is gone either way.
        }
        _device = null;
        _binding = null;
    }
}
