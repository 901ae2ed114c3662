using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using EdgeStream.Log.Format;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Broker.Retained;

/// <summary>
/// The byte layout of the retained-message snapshot (<c>mqtt/retained.snapshot</c> in the data directory), version 1,
/// little-endian:
/// <code>
/// header (16 bytes): magic "ESRM" | u16 version = 1 | u16 flags = 0 | u32 record count | u32 CRC32C of the 12 bytes before it
/// record:            u32 body length | u32 CRC32C of the body | body
/// body:              i64 retained at (Unix ms) | i64 expires at (Unix ms; 0 = no Message Expiry Interval)
///                    | u8 QoS | u8 payload format indicator
///                    | str topic | str content type | str response topic | bin correlation data
///                    | i32 user property count, each: str name, bin value
///                    | bin payload
/// str, bin:          i32 length (-1 = absent) + that many bytes (UTF-8 for str)
/// </code>
/// Every record carries its own checksum, so a damaged file still yields the records before the damage. The expiry is
/// absolute (wall clock), so time that passes while the broker is down counts against it. Records are written newest
/// first, and "retained at" lets a loader keep the newest when the file holds more than the limits allow.
/// Stateless; thread-safe.
/// </summary>
internal static class RetainedSnapshotFormat
{
    public const int HeaderLength = 16;
    public const int RecordHeaderLength = 8;
    private const ushort Version = 1;
    private static ReadOnlySpan<byte> Magic => "ESRM"u8;

    /// <summary>The file header for <paramref name="count"/> records.</summary>
    public static byte[] Header(int count)
    {
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), checked((uint)count));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), Crc32C.Compute(header.AsSpan(0, 12)));
        return header;
    }

    /// <summary>The record count a header announces; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static uint ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderLength || !header[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a retained-message snapshot");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) != Crc32C.Compute(header[..12]))
        {
            throw new InvalidDataException("header checksum mismatch");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"snapshot version {version} is not supported");
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
    }

    /// <summary>Appends one record (header and body) to <paramref name="output"/>.</summary>
    public static void WriteRecord(ArrayBufferWriter<byte> output, in RetainedRecord retained)
    {
        var start = output.WrittenCount;
        output.GetSpan(RecordHeaderLength); // room for the record header, filled in at the end
        output.Advance(RecordHeaderLength);
        var m = retained.Message;
        WriteInt64(output, retained.RetainedAt.ToUnixTimeMilliseconds());
        WriteInt64(output, retained.ExpiresAt?.ToUnixTimeMilliseconds() ?? 0);
        var flags = output.GetSpan(2);
        flags[0] = (byte)m.QualityOfServiceLevel;
        flags[1] = (byte)m.PayloadFormatIndicator;
        output.Advance(2);
        WriteString(output, m.Topic);
        WriteString(output, m.ContentType);
        WriteString(output, m.ResponseTopic);
        WriteBytes(output, m.CorrelationData);
        var properties = m.UserProperties;
        WriteInt32(output, properties?.Count ?? 0);
        foreach (var p in properties ?? [])
        {
            WriteString(output, p.Name);
            WriteBytes(output, p.ValueBuffer.Span);
        }
        WriteInt32(output, checked((int)m.Payload.Length));
        foreach (var segment in m.Payload)
        {
            output.Write(segment.Span);
        }
        // The record header goes in front once the body's length and checksum are known.
        var record = MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        var body = record[RecordHeaderLength..];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Compute(body));
    }

    /// <summary>The body length and checksum a record header announces.</summary>
    public static (uint Length, uint Crc) ReadRecordHeader(ReadOnlySpan<byte> header)
        => (BinaryPrimitives.ReadUInt32LittleEndian(header), BinaryPrimitives.ReadUInt32LittleEndian(header[4..]));

    /// <summary>
    /// Decodes a record body whose checksum matched <paramref name="crc"/>; throws <see cref="InvalidDataException"/>
    /// for a checksum mismatch or a body that does not parse.
    /// </summary>
    public static RetainedRecord ReadRecord(ReadOnlySpan<byte> body, uint crc)
    {
        if (Crc32C.Compute(body) != crc)
        {
            throw new InvalidDataException("record checksum mismatch");
        }
        var r = new Reader(body);
        var retainedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.Int64());
        var expiresAtMs = r.Int64();
        var qos = r.Byte();
        var format = r.Byte();
        if (qos > 2 || format > 1)
        {
            throw new InvalidDataException("QoS or payload format indicator out of range");
        }
        var topic = r.String() ?? throw new InvalidDataException("record without a topic");
        var message = new MqttApplicationMessage
        {
            Topic = topic,
            Retain = true,
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            PayloadFormatIndicator = (MqttPayloadFormatIndicator)format,
            ContentType = r.String(),
            ResponseTopic = r.String(),
            CorrelationData = r.Bytes(),
        };
        var count = r.Int32();
        if (count < 0 || count > body.Length)
        {
            throw new InvalidDataException("user property count out of range");
        }
        if (count > 0)
        {
            var properties = new List<MqttUserProperty>(count);
            for (var i = 0; i < count; i++)
            {
                var name = r.String() ?? throw new InvalidDataException("user property without a name");
                properties.Add(new MqttUserProperty(name, new ReadOnlyMemory<byte>(r.Bytes() ?? [])));
            }
            message.UserProperties = properties;
        }
        message.Payload = new ReadOnlySequence<byte>(r.Bytes() ?? throw new InvalidDataException("record without a payload"));
        if (!r.AtEnd)
        {
            throw new InvalidDataException("trailing bytes in a record");
        }
        return new RetainedRecord(message, retainedAt, expiresAtMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(expiresAtMs));
    }

    private static void WriteInt32(ArrayBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string? value)
    {
        if (value is null)
        {
            WriteInt32(output, -1);
            return;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(output, length);
        output.Advance(Encoding.UTF8.GetBytes(value, output.GetSpan(length)));
    }

    private static void WriteBytes(ArrayBufferWriter<byte> output, byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(output, -1);
            return;
        }
        WriteBytes(output, value.AsSpan());
    }

    private static void WriteBytes(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteInt32(output, value.Length);
        output.Write(value);
    }

    /// <summary>Reads a body front to back; every length is checked against what is left, so damage cannot over-allocate.</summary>
    private ref struct Reader(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;

        public readonly bool AtEnd => _rest.IsEmpty;

        public byte Byte() => Take(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public string? String() => Length() is { } n ? Encoding.UTF8.GetString(Take(n)) : null;

        public byte[]? Bytes() => Length() is { } n ? Take(n).ToArray() : null;

        private int? Length()
        {
            var n = Int32();
            return n == -1 ? null : n;
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > _rest.Length)
            {
                throw new InvalidDataException("length exceeds the record");
            }
            var taken = _rest[..n];
            _rest = _rest[n..];
            return taken;
        }
    }
}

/// <summary>One retained message as stored: when it was retained and when it expires (<c>null</c>: never).</summary>
internal readonly record struct RetainedRecord(MqttApplicationMessage Message, DateTimeOffset RetainedAt, DateTimeOffset? ExpiresAt);
