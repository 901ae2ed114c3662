namespace EdgeStream.FirmwareSim.Chips.OneWire;

/// <summary>The Dallas/Maxim 1-Wire CRC-8 (x⁸+x⁵+x⁴+1, reflected 0x8C, init 0) that ends a DS18B20 scratchpad.</summary>
public static class DallasCrc8
{
    /// <summary>The CRC of <paramref name="data"/>; over a scratchpad including its CRC byte it is 0.</summary>
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte crc = 0;
        foreach (byte b in data)
        {
            byte value = b;
            for (int bit = 0; bit < 8; bit++)
            {
                bool mix = ((crc ^ value) & 1) != 0;
                crc >>= 1;
                if (mix)
                {
                    crc ^= 0x8C;
                }
                value >>= 1;
            }
        }
        return crc;
    }
}
