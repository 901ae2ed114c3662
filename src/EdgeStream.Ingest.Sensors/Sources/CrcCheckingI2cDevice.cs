using System.Device.I2c;

namespace EdgeStream.Ingest.Sensors.Sources;

/// <summary>
/// Sits between the SHT3x binding and the bus and checks the CRC-8 (poly 0x31, init 0xFF) of every word in each
/// 6-byte measurement frame the binding reads. The binding ignores a bad frame and keeps its previous values, so
/// the sensor asks this decorator whether the last frame was good before trusting the binding's result.
/// </summary>
internal sealed class CrcCheckingI2cDevice(I2cDevice inner) : I2cDevice
{
    /// <summary>Whether the last 6-byte frame read passed both CRC checks (null before any frame).</summary>
    public bool? LastFrameValid { get; private set; }

    public override I2cConnectionSettings ConnectionSettings => inner.ConnectionSettings;

    /// <summary>Forgets the last frame's verdict before a new measurement.</summary>
    public void ResetVerdict() => LastFrameValid = null;

    public override void Read(Span<byte> buffer)
    {
        inner.Read(buffer);
        if (buffer.Length == 6)
        {
            LastFrameValid = Crc8(buffer[..2]) == buffer[2] && Crc8(buffer.Slice(3, 2)) == buffer[5];
        }
    }

    public override byte ReadByte() => inner.ReadByte();

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override void WriteByte(byte value) => inner.WriteByte(value);

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => inner.WriteRead(writeBuffer, readBuffer);

    /// <summary>Sensirion CRC-8 (datasheet example: 0xBE 0xEF → 0x92).</summary>
    internal static byte Crc8(ReadOnlySpan<byte> data)
    {
        byte crc = 0xFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80) != 0 ? (byte)((crc << 1) ^ 0x31) : (byte)(crc << 1);
            }
        }
        return crc;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
