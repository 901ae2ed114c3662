using System.Buffers;
using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Walks the batches of a segment file from a position, checking each one's frame, CRC and base offset. Used by
/// recovery, index rebuilds and <c>log verify</c>. Stateless; reads only.
/// </summary>
internal static class SegmentScanner
{
    /// <summary>
    /// Scans from <paramref name="position"/> (a batch boundary whose base offset must be
    /// <paramref name="expectedOffset"/>) to the end of the file or the first invalid batch.
    /// <paramref name="onBatch"/> sees every valid batch and its position. A tail of zeros (preallocated, never written)
    /// is the clean end: the result's ValidEnd is where the zeros start.
    /// </summary>
    public static ScanResult Scan(ILogFile file, long position, long expectedOffset, Action<BatchInfo, long>? onBatch = null, Action<long>? onProgress = null)
    {
        var start = position;
        var length = file.Length;
        Span<byte> head = stackalloc byte[RecordBatch.LengthFieldEnd];
        var maxTimestamp = long.MinValue;
        while (position < length)
        {
            var headLength = (int)Math.Min(RecordBatch.LengthFieldEnd, length - position);
            file.Read(position, head[..headLength]);
            if (!head[..headLength].ContainsAnyExcept((byte)0))
            {
                // No batch header is all zeros (its length field is at least the header size): this is a preallocated
                // tail never written, the clean end, if nothing but zeros follows. Data after it is a torn write.
                return AllZero(file, position, length, onProgress)
                    ? new ScanResult(start, position, expectedOffset, maxTimestamp, null)
                    : new ScanResult(start, position, expectedOffset, maxTimestamp, "zeroed batch header followed by data");
            }
            if (headLength < RecordBatch.LengthFieldEnd)
            {
                return new ScanResult(start, position, expectedOffset, maxTimestamp, "torn batch header at end of file");
            }
            var (baseOffset, size) = RecordBatch.ReadFrame(head);
            if (size < RecordBatch.HeaderSize || size > RecordBatch.MaxBatchBytes)
            {
                return new ScanResult(start, position, expectedOffset, maxTimestamp, $"invalid batch length {size}");
            }
            if (position + size > length)
            {
                return new ScanResult(start, position, expectedOffset, maxTimestamp, "torn batch at end of file");
            }
            if (baseOffset != expectedOffset)
            {
                return new ScanResult(start, position, expectedOffset, maxTimestamp, $"base offset {baseOffset} where {expectedOffset} was expected");
            }
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var batch = buffer.AsSpan(0, size);
                file.Read(position, batch);
                if (RecordBatch.Validate(batch) is { } reason)
                {
                    return new ScanResult(start, position, expectedOffset, maxTimestamp, reason);
                }
                var info = RecordBatch.ReadInfo(batch);
                onBatch?.Invoke(info, position);
                maxTimestamp = Math.Max(maxTimestamp, info.MaxTimestamp);
                expectedOffset = info.NextOffset;
                position += size;
                onProgress?.Invoke(size);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return new ScanResult(start, position, expectedOffset, maxTimestamp, null);
    }

    private static bool AllZero(ILogFile file, long position, long length, Action<long>? onProgress)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            while (position < length)
            {
                var n = file.Read(position, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)));
                if (n == 0)
                {
                    return true;
                }
                if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0))
                {
                    return false;
                }
                position += n;
                onProgress?.Invoke(n);
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Where a scan started and stopped (the end of the last valid batch), the next offset, and why it stopped early (null: clean end).</summary>
internal readonly record struct ScanResult(long Start, long ValidEnd, long NextOffset, long MaxTimestamp, string? Problem);
