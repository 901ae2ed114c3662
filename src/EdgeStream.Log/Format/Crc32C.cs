using System.IO.Hashing;

namespace EdgeStream.Log.Format;

/// <summary>CRC32C (Castagnoli) over a span, through System.IO.Hashing (hardware-accelerated where available).</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
}
