namespace EdgeStream.FirmwareSim.Chips;

/// <summary>The CRC-8 Sensirion chips append to each 16-bit word: polynomial 0x31, init 0xFF, no reflection, no final XOR.</summary>
public static class SensirionCrc8
{
    /// <summary>The CRC of <paramref name="data"/> (datasheet example: 0xBE 0xEF → 0x92).</summary>
    public static byte Compute(ReadOnlySpan<byte> data)
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
}
