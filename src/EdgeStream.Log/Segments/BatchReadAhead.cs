using System.Buffers;
using EdgeStream.Log.Format;

namespace EdgeStream.Log.Segments;

/// <summary>
/// Reads and checks one segment's batches through a read-ahead window. MQTT ingest stores one record per batch, so a
/// reader reading a batch at a time made two positional reads per record (frame, then body): ~20,000 preads a second for
/// a sink draining 10,000 msg/s. One read now serves every batch in the window. Not thread-safe; a reader uses its own.
/// </summary>
internal sealed class BatchReadAhead : IDisposable
{
    /// <summary>The window: a whole wide MQTT batch or a few hundred narrow ones, and a size ArrayPool keeps.</summary>
    internal const int WindowBytes = 64 * 1024;

    private readonly Segment _segment;
    private readonly long _limit;
    private byte[] _window;
    private long _start;
    private int _length;
    private byte[]? _large;

    /// <param name="segment">The segment, acquired by the caller for as long as this is used.</param>
    /// <param name="limit">Where reading stops (the segment's durable size): nothing past it is read.</param>
    public BatchReadAhead(Segment segment, long limit)
    {
        _segment = segment;
        _limit = limit;
        _window = ArrayPool<byte>.Shared.Rent(WindowBytes);
    }

    /// <summary>
    /// Reads and checks the batch at <paramref name="position"/>. Null when valid: <paramref name="batch"/> then holds
    /// it until the next call. Otherwise why it is not a valid batch there.
    /// </summary>
    public string? Read(long position, out ReadOnlySpan<byte> batch)
    {
        batch = default;
        if (!Ensure(position, RecordBatch.LengthFieldEnd))
        {
            return "segment shorter than its durable size";
        }
        var (_, size) = RecordBatch.ReadFrame(Slice(position, RecordBatch.LengthFieldEnd));
        if (size < RecordBatch.HeaderSize || size > RecordBatch.MaxBatchBytes || position + size > _limit)
        {
            return $"invalid batch length {size}";
        }
        if (size <= _window.Length)
        {
            if (!Ensure(position, size))
            {
                return "segment shorter than its durable size";
            }
            batch = Slice(position, size);
        }
        else
        {
            // Wider than the window (a large producer batch): read on its own, into a buffer kept until the next call.
            ReturnLarge();
            _large = ArrayPool<byte>.Shared.Rent(size);
            if (_segment.Read(position, _large.AsSpan(0, size)) < size)
            {
                return "segment shorter than its durable size";
            }
            batch = _large.AsSpan(0, size);
        }
        return RecordBatch.Validate(batch);
    }

    public void Dispose()
    {
        ReturnLarge();
        ArrayPool<byte>.Shared.Return(_window);
        _window = [];
    }

    /// <summary>True when the window holds <paramref name="count"/> bytes from <paramref name="position"/>, reading them if not.</summary>
    private bool Ensure(long position, int count)
    {
        if (position >= _start && position + count <= _start + _length)
        {
            return true;
        }
        // A batch frame is read even where it would cross the limit, so its length is what the check reports.
        _start = position;
        _length = _segment.Read(position, _window.AsSpan(0, (int)Math.Max(count, Math.Min(_window.Length, _limit - position))));
        return _length >= count;
    }

    private ReadOnlySpan<byte> Slice(long position, int count) => _window.AsSpan((int)(position - _start), count);

    private void ReturnLarge()
    {
        if (_large is not null)
        {
            ArrayPool<byte>.Shared.Return(_large);
            _large = null;
        }
    }
}
