using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeStream.Processing.Engine;

/// <summary>Little-endian primitive writer over an <see cref="IBufferWriter{T}"/> for evaluator snapshots. Not thread-safe.</summary>
internal sealed class SnapshotWriter(IBufferWriter<byte> output)
{
    public long Written { get; private set; }

    public void Int(int v)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), v);
        Advance(4);
    }

    public void Long(long v)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), v);
        Advance(8);
    }

    public void Double(double v) => Long(BitConverter.DoubleToInt64Bits(v));

    public void Bool(bool v)
    {
        output.GetSpan(1)[0] = v ? (byte)1 : (byte)0;
        Advance(1);
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        Int(bytes.Length);
        bytes.CopyTo(output.GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    public void String(string? s)
    {
        if (s is null)
        {
            Int(-1);
            return;
        }
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        var span = output.GetSpan(4 + max);
        int n = Encoding.UTF8.GetBytes(s, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, n);
        Advance(4 + n);
    }

    private void Advance(int n)
    {
        output.Advance(n);
        Written += n;
    }
}

/// <summary>Reads what <see cref="SnapshotWriter"/> wrote; throws <see cref="InvalidDataException"/> when the data ends early.</summary>
internal ref struct SnapshotReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly bool AtEnd => _pos == _data.Length;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + n > _data.Length)
        {
            throw new InvalidDataException("The snapshot ends early.");
        }
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public double Double() => BitConverter.Int64BitsToDouble(Long());

    public bool Bool() => Take(1)[0] != 0;

    public byte[] Bytes() => Take(Int()).ToArray();

    public string? String()
    {
        int n = Int();
        return n < 0 ? null : Encoding.UTF8.GetString(Take(n));
    }

    /// <summary>A count that must be plausible for the remaining bytes (guards against damaged lengths).</summary>
    public int Count(int minBytesEach = 1)
    {
        int n = Int();
        if (n < 0 || (long)n * minBytesEach > _data.Length - _pos)
        {
            throw new InvalidDataException("The snapshot has an impossible count.");
        }
        return n;
    }
}
