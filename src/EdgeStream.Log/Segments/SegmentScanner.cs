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
    /// <paramref name="onBatch"/> sees every valid batch and its position.
    /// </summary>
    public static ScanResult Scan(ILogFile file, long position, long expectedOffset, Action<BatchInfo, long>? onBatch = null, Action<long>? onProgress = null)
    {
        var start = position;
        var length = file.Length;
        Span<byte> head = stackalloc byte[RecordBatch.LengthFieldEnd];
        var maxTimestamp = long.MinValue;
        while (position < length)
        {
            if (length - position < RecordBatch.LengthFieldEnd)
            {
                return new ScanResult(start, position, expectedOffset, maxTimestamp, "torn batch header at end of file");
            }
            file.Read(position, head);
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
}

/// <summary>Where a scan started and stopped (the end of the last valid batch), the next offset, and why it stopped early (null: clean end).</summary>
internal readonly record struct ScanResult(long Start, long ValidEnd, long NextOffset, long MaxTimestamp, string? Problem);
