namespace EdgeStream.Log.Format;

/// <summary>Unsigned LEB128 varints and zig-zag signed varints, as Kafka and protobuf use them. Stateless.</summary>
internal static class VarInt
{
    public static int Size(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public static int SizeZigZag(long value) => Size(ZigZag(value));

    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteZigZag(Span<byte> destination, long value) => Write(destination, ZigZag(value));

    /// <summary>Reads a varint; returns false on truncated or over-long input (never throws on hostile bytes).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= source.Length)
            {
                return false;
            }
            var b = source[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }
        return false;
    }

    public static bool TryReadZigZag(ReadOnlySpan<byte> source, ref int position, out long value)
    {
        if (!TryRead(source, ref position, out var raw))
        {
            value = 0;
            return false;
        }
        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return true;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
