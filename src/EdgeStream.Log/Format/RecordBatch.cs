using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeStream.Log.Format;

/// <summary>
/// Writes and reads record batches, the unit of storage, checksum and compression.
///
/// On-disk layout, format version 1, all integers little-endian:
/// <code>
/// offset size field
///  0     8    baseOffset        offset of the first record; outside the CRC so offsets can be assigned after encoding
///  8     4    batchLength       bytes that follow this field (total batch size - 12)
/// 12     4    crc32c            CRC32C (Castagnoli) of every byte from offset 16 to the end of the batch
/// 16     1    formatVersion     1
/// 17     1    attributes        bits 0-2: CompressionCodec; other bits 0
/// 18     2    reserved          0
/// 20     4    recordCount       &gt;= 1; record i has offset baseOffset + i
/// 24     8    firstTimestamp    unix milliseconds of record 0
/// 32     8    maxTimestamp      largest record timestamp in the batch
/// 40     4    recordsLength     uncompressed size of the records section
/// 44     ...  records section   compressed with the codec in attributes (as is for None)
/// </code>
/// Each record in the (uncompressed) records section:
/// <code>
/// zigzag varint  timestampDelta   from firstTimestamp
/// varint         keyLength + 1    0 = no key
/// bytes          key
/// varint         valueLength
/// bytes          value
/// varint         headerCount
///   varint nameLength, bytes name (UTF-8), varint valueLength, bytes value   (per header)
/// </code>
/// Crash behaviour: a batch is written with one positional write and becomes durable with the segment's fsync. A torn
/// batch (power cut mid-write) fails the length or CRC check; recovery truncates the segment at the first such batch.
/// The baseOffset is not covered by the CRC: readers and recovery check it equals the expected next offset.
/// A segment may end in zeros (preallocated, never written): no header is all zeros (batchLength &gt;= 32), so a zero
/// header followed only by zeros is the clean end, and followed by data a torn write (see SegmentScanner).
/// </summary>
internal static class RecordBatch
{
    public const int HeaderSize = 44;
    public const int LengthFieldEnd = 12;
    public const int CrcStart = 16;
    public const byte FormatVersion = 1;
    /// <summary>Largest batch accepted (guards against hostile or corrupt length fields).</summary>
    public const int MaxBatchBytes = 64 << 20;

    /// <summary>
    /// Encodes records into a pooled buffer; baseOffset is left 0 for <see cref="EncodedBatch.SetBaseOffset"/>. A record
    /// without a timestamp gets <paramref name="time"/>'s current time.
    /// </summary>
    public static EncodedBatch Encode(IReadOnlyList<LogRecord> records, CompressionCodec codec, TimeProvider time)
    {
        if (records.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one record.", nameof(records));
        }
        // Sources stamp their records (MQTT, sensors), so the clock is read only when one is not.
        var nowMs = 0L;
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Timestamp is null)
            {
                nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
                break;
            }
        }
        var first = records[0].Timestamp?.ToUnixTimeMilliseconds() ?? nowMs;
        var max = first;
        var sectionSize = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var ts = r.Timestamp?.ToUnixTimeMilliseconds() ?? nowMs;
            max = Math.Max(max, ts);
            sectionSize += RecordSize(r, ts - first);
        }

        byte[] buffer;
        int total;
        if (codec == CompressionCodec.None)
        {
            total = HeaderSize + sectionSize;
            buffer = ArrayPool<byte>.Shared.Rent(total);
            WriteRecords(buffer.AsSpan(HeaderSize, sectionSize), records, first, nowMs);
        }
        else
        {
            var plain = ArrayPool<byte>.Shared.Rent(sectionSize);
            try
            {
                WriteRecords(plain.AsSpan(0, sectionSize), records, first, nowMs);
                var packed = BatchCodec.Compress(codec, plain.AsSpan(0, sectionSize));
                total = HeaderSize + packed.Length;
                buffer = ArrayPool<byte>.Shared.Rent(total);
                packed.CopyTo(buffer.AsSpan(HeaderSize));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(plain);
            }
        }

        if (total > MaxBatchBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ArgumentException($"Batch of {total} bytes exceeds the {MaxBatchBytes}-byte limit.", nameof(records));
        }

        var span = buffer.AsSpan(0, total);
        BinaryPrimitives.WriteInt64LittleEndian(span, 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], total - LengthFieldEnd);
        span[16] = FormatVersion;
        span[17] = (byte)codec;
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], records.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], first);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], max);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], sectionSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], Crc32C.Compute(span[CrcStart..]));
        return new EncodedBatch(buffer, total, records.Count, first, max);
    }

    /// <summary>Reads the header fields of a batch whose first 12 bytes are in <paramref name="head"/>.</summary>
    public static (long BaseOffset, int TotalSize) ReadFrame(ReadOnlySpan<byte> head)
        => (BinaryPrimitives.ReadInt64LittleEndian(head), BinaryPrimitives.ReadInt32LittleEndian(head[8..]) + LengthFieldEnd);

    /// <summary>
    /// Validates a whole batch (length, version, attributes, CRC). Returns null when valid, else the reason.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            return "batch shorter than its header";
        }
        var (_, size) = ReadFrame(batch);
        if (size != batch.Length)
        {
            return "length field does not match";
        }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(batch[12..]);
        if (stored != Crc32C.Compute(batch[CrcStart..]))
        {
            return "CRC32C mismatch";
        }
        if (batch[16] != FormatVersion)
        {
            return $"unknown format version {batch[16]}";
        }
        if (batch[17] > (byte)CompressionCodec.Brotli)
        {
            return $"unknown attributes 0x{batch[17]:x2}";
        }
        if (BinaryPrimitives.ReadInt32LittleEndian(batch[20..]) < 1)
        {
            return "record count below 1";
        }
        return null;
    }

    public static BatchInfo ReadInfo(ReadOnlySpan<byte> batch) => new(
        BinaryPrimitives.ReadInt64LittleEndian(batch),
        batch.Length,
        BinaryPrimitives.ReadInt32LittleEndian(batch[20..]),
        BinaryPrimitives.ReadInt64LittleEndian(batch[24..]),
        BinaryPrimitives.ReadInt64LittleEndian(batch[32..]));

    /// <summary>
    /// Decodes the records of a validated batch with offset &gt;= <paramref name="fromOffset"/>, appending to
    /// <paramref name="output"/> until it holds <paramref name="maxRecords"/> or this batch added <paramref name="maxBytes"/>
    /// (the output always gets at least one record).
    /// Returns the number of bytes of record data added, or -1 if the records section is malformed.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> batch, string topic, int partition, long fromOffset, List<StoredRecord> output, int maxRecords, long maxBytes)
    {
        var info = ReadInfo(batch);
        var codec = (CompressionCodec)(batch[17] & 0x07);
        var sectionLength = BinaryPrimitives.ReadInt32LittleEndian(batch[40..]);
        if (sectionLength < 0 || sectionLength > MaxBatchBytes)
        {
            return -1;
        }
        byte[] section;
        if (codec == CompressionCodec.None)
        {
            if (sectionLength != batch.Length - HeaderSize)
            {
                return -1;
            }
            section = batch[HeaderSize..].ToArray();
        }
        else
        {
            section = new byte[sectionLength];
            if (!BatchCodec.TryDecompress(codec, batch[HeaderSize..], section))
            {
                return -1;
            }
        }

        // Records share one array per batch: values are slices of it, so a read allocates once per batch.
        var s = (ReadOnlySpan<byte>)section;
        var pos = 0;
        var added = 0;
        for (var i = 0; i < info.RecordCount; i++)
        {
            if (!VarInt.TryReadZigZag(s, ref pos, out var delta)
                || !VarInt.TryRead(s, ref pos, out var keyLen1)
                || keyLen1 > (ulong)(s.Length - pos + 1))
            {
                return -1;
            }
            ReadOnlyMemory<byte>? key = null;
            if (keyLen1 > 0)
            {
                key = section.AsMemory(pos, (int)keyLen1 - 1);
                pos += (int)keyLen1 - 1;
            }
            if (!VarInt.TryRead(s, ref pos, out var valueLen) || valueLen > (ulong)(s.Length - pos))
            {
                return -1;
            }
            var value = section.AsMemory(pos, (int)valueLen);
            pos += (int)valueLen;
            if (!VarInt.TryRead(s, ref pos, out var headerCount) || headerCount > (ulong)(s.Length - pos))
            {
                return -1;
            }
            var headers = headerCount == 0 ? [] : new RecordHeader[headerCount];
            var headerBytes = 0;
            for (var h = 0; h < (int)headerCount; h++)
            {
                if (!VarInt.TryRead(s, ref pos, out var nameLen) || nameLen > (ulong)(s.Length - pos))
                {
                    return -1;
                }
                var name = Encoding.UTF8.GetString(s.Slice(pos, (int)nameLen));
                pos += (int)nameLen;
                if (!VarInt.TryRead(s, ref pos, out var hvLen) || hvLen > (ulong)(s.Length - pos))
                {
                    return -1;
                }
                headers[h] = new RecordHeader(name, section.AsMemory(pos, (int)hvLen));
                pos += (int)hvLen;
                headerBytes += (int)nameLen + (int)hvLen;
            }

            var offset = info.BaseOffset + i;
            if (offset < fromOffset)
            {
                continue;
            }
            var size = (int)valueLen + (key?.Length ?? 0) + headerBytes;
            if (output.Count >= maxRecords || (output.Count > 0 && added + size > maxBytes))
            {
                break;
            }
            output.Add(new StoredRecord(topic, partition, offset, DateTimeOffset.FromUnixTimeMilliseconds(info.FirstTimestamp + delta), key, value, headers));
            added += size;
        }
        return added;
    }

    private static int RecordSize(LogRecord r, long delta)
    {
        var size = VarInt.SizeZigZag(delta);
        var keyLen = r.Key?.Length ?? -1;
        size += VarInt.Size((ulong)(keyLen + 1)) + Math.Max(keyLen, 0);
        size += VarInt.Size((ulong)r.Value.Length) + r.Value.Length;
        // Indexed, not foreach: enumerating the interface would allocate an enumerator per record.
        var headers = r.Headers;
        size += VarInt.Size((ulong)headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var h = headers[i];
            var n = HeaderNames.TryGetUtf8(h.Name, out var name) ? name.Length : Encoding.UTF8.GetByteCount(h.Name);
            size += VarInt.Size((ulong)n) + n + VarInt.Size((ulong)h.Value.Length) + h.Value.Length;
        }
        return size;
    }

    private static void WriteRecords(Span<byte> dest, IReadOnlyList<LogRecord> records, long first, long nowMs)
    {
        var p = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var ts = r.Timestamp?.ToUnixTimeMilliseconds() ?? nowMs;
            p += VarInt.WriteZigZag(dest[p..], ts - first);
            if (r.Key is { } key)
            {
                p += VarInt.Write(dest[p..], (ulong)key.Length + 1);
                key.Span.CopyTo(dest[p..]);
                p += key.Length;
            }
            else
            {
                dest[p++] = 0;
            }
            p += VarInt.Write(dest[p..], (ulong)r.Value.Length);
            r.Value.Span.CopyTo(dest[p..]);
            p += r.Value.Length;
            var headers = r.Headers;
            p += VarInt.Write(dest[p..], (ulong)headers.Count);
            for (var j = 0; j < headers.Count; j++)
            {
                var h = headers[j];
                if (HeaderNames.TryGetUtf8(h.Name, out var name))
                {
                    p += VarInt.Write(dest[p..], (ulong)name.Length);
                    name.CopyTo(dest[p..]);
                    p += name.Length;
                }
                else
                {
                    p += VarInt.Write(dest[p..], (ulong)Encoding.UTF8.GetByteCount(h.Name));
                    p += Encoding.UTF8.GetBytes(h.Name, dest[p..]);
                }
                p += VarInt.Write(dest[p..], (ulong)h.Value.Length);
                h.Value.Span.CopyTo(dest[p..]);
                p += h.Value.Length;
            }
        }
    }
}

/// <summary>The header fields of a stored batch.</summary>
internal readonly record struct BatchInfo(long BaseOffset, int TotalSize, int RecordCount, long FirstTimestamp, long MaxTimestamp)
{
    public long NextOffset => BaseOffset + RecordCount;
}

/// <summary>
/// An encoded batch in a pooled buffer; return it with <see cref="Dispose"/>, once, from the one variable that owns it
/// (a struct, so that an append allocates nothing for it; copies passed on must not be disposed). Not thread-safe.
/// </summary>
internal struct EncodedBatch : IDisposable
{
    private byte[]? _buffer;

    public EncodedBatch(byte[] buffer, int length, int count, long firstTimestamp, long maxTimestamp)
    {
        _buffer = buffer;
        Length = length;
        Count = count;
        FirstTimestamp = firstTimestamp;
        MaxTimestamp = maxTimestamp;
    }

    public int Length { get; }
    public int Count { get; }
    public long FirstTimestamp { get; }
    public long MaxTimestamp { get; }
    public readonly ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    public readonly void SetBaseOffset(long baseOffset) => BinaryPrimitives.WriteInt64LittleEndian(_buffer, baseOffset);

    public void Dispose()
    {
        if (_buffer is { } b)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
