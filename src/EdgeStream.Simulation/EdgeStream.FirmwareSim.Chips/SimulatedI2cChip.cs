using System.Device.I2c;

namespace EdgeStream.FirmwareSim.Chips;

/// <summary>
/// Base of the simulated I2C chips, after dotnet/iot's <c>I2cSimulatedDeviceBase</c>: every
/// <see cref="I2cDevice"/> call funnels into one transfer (write phase, then read phase) handled under a lock, so a
/// chip sees exactly the byte sequences a binding puts on the bus. A NACK fault fails the transfer with
/// <see cref="IOException"/>, as the Linux driver does. Disposing is a no-op: the simulated chip outlives a
/// binding that closes its handle, like a real chip outlives a closed file descriptor. Thread-safe.
/// </summary>
public abstract class SimulatedI2cChip : I2cDevice
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private long _transfers;

    /// <summary>Creates a chip answering at <paramref name="address"/> on bus <paramref name="busId"/>.</summary>
    protected SimulatedI2cChip(int busId, int address, TimeProvider? timeProvider)
    {
        ConnectionSettings = new I2cConnectionSettings(busId, address);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Faults to inject.</summary>
    public ChipFaults Faults { get; } = new();

    /// <summary>Bus transfers seen (including failed ones).</summary>
    public long Transfers => Interlocked.Read(ref _transfers);

    /// <inheritdoc />
    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>The time chips use to sample their signals.</summary>
    protected DateTimeOffset Now => _time.GetUtcNow();

    /// <inheritdoc />
    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Transfer(default, one);
        return one[0];
    }

    /// <inheritdoc />
    public override void Read(Span<byte> buffer) => Transfer(default, buffer);

    /// <inheritdoc />
    public override void WriteByte(byte value) => Transfer([value], default);

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer) => Transfer(buffer, default);

    /// <inheritdoc />
    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Transfer(writeBuffer, readBuffer);

    /// <summary>Handles the bytes a master wrote (register pointer, then data or a command).</summary>
    protected abstract void OnWrite(ReadOnlySpan<byte> data);

    /// <summary>Fills the bytes a master reads.</summary>
    protected abstract void OnRead(Span<byte> buffer);

    /// <summary>Runs <paramref name="action"/> under the chip's lock (for test setters that touch chip state).</summary>
    protected void Locked(Action action)
    {
        lock (_gate)
        {
            action();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Deliberately keeps the register state: see the class doc.
    }

    private void Transfer(ReadOnlySpan<byte> write, Span<byte> read)
    {
        Interlocked.Increment(ref _transfers);
        if (Faults.Nack)
        {
            throw new IOException($"Error 121 performing I2C data transfer: no ACK from 0x{ConnectionSettings.DeviceAddress:X2} on bus {ConnectionSettings.BusId} (simulated).");
        }
        lock (_gate)
        {
            if (!write.IsEmpty)
            {
                OnWrite(write);
            }
            if (!read.IsEmpty)
            {
                OnRead(read);
            }
        }
    }
}
