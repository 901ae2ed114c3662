using System.Buffers;
using System.Buffers.Binary;
using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Finds the next verifiable batch after a damaged one: a position whose header has a plausible base offset, length
/// and format version and whose whole batch passes its CRC32C. Used by readers to skip bit rot, by recovery to keep
/// what follows damage below the recovery point, and by <c>log verify</c>. Reads in 64 KiB chunks; a false match
/// needs a random header that also passes a 32-bit checksum. Stateless; reads only.
/// </summary>
internal static class BatchResync
{
    private const int Chunk = 64 * 1024;
    private const int Probe = RecordBatch.CrcStart + 1;

    /// <summary>
    /// The first position in (<paramref name="badPosition"/>, <paramref name="limit"/>) holding a valid batch whose base
    /// offset is at least <paramref name="minOffset"/> and which ends at or below <paramref name="maxOffset"/>; null if none.
    /// </summary>
    public static (long Position, BatchInfo Info)? Find(ILogFile file, long badPosition, long limit, long minOffset, long maxOffset)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(Chunk + Probe);
        try
        {
            var p = badPosition + 1;
            while (p + RecordBatch.HeaderSize <= limit)
            {
                var n = file.Read(p, chunk.AsSpan(0, (int)Math.Min(Chunk + Probe, limit - p)));
                if (n < Probe)
                {
                    return null;
                }
                var candidates = n - Probe + 1;
                for (var k = 0; k < candidates; k++)
                {
                    var head = chunk.AsSpan(k, Probe);
                    var baseOffset = BinaryPrimitives.ReadInt64LittleEndian(head);
                    if (baseOffset < minOffset || baseOffset >= maxOffset || head[RecordBatch.CrcStart] != RecordBatch.FormatVersion)
                    {
                        continue;
                    }
                    var size = BinaryPrimitives.ReadInt32LittleEndian(head[8..]) + RecordBatch.LengthFieldEnd;
                    if (size < RecordBatch.HeaderSize || size > RecordBatch.MaxBatchBytes || p + k + size > limit)
                    {
                        continue;
                    }
                    if (Verify(file, p + k, size) is { } info && info.NextOffset <= maxOffset)
                    {
                        return (p + k, info);
                    }
                }
                p += candidates;
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static BatchInfo? Verify(ILogFile file, long position, int size)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var batch = buffer.AsSpan(0, size);
            return file.Read(position, batch) == size && RecordBatch.Validate(batch) is null ? RecordBatch.ReadInfo(batch) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
