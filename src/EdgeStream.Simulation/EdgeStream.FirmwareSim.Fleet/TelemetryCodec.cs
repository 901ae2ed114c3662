using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>
/// Encodes and decodes <see cref="TelemetryReading"/>s. Payloads are padded up to a minimum size so the fleet can
/// exercise a chosen message size; a reading never gets truncated. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// JSON: <c>{"device":"sim-0001","seq":7,"ts":"2026-05-01T10:00:00.250Z","temperature":21.53,"humidity":48.1,
/// "pressure":101325.2,"battery":3.912,"rssi":-67}</c>, padded with a <c>"pad":"…"</c> member (or trailing
/// whitespace when fewer than 9 bytes are missing).
/// <para>Binary (little-endian, version 1), 26 bytes plus the device id, then zero padding:</para>
/// <code>
/// 0  u8   version (1)           14 i16 temperature, 0.01 °C     22 u16 battery, mV
/// 1  u8   flags (0)             16 u16 humidity, 0.01 %         24 i8  rssi, dBm
/// 2  u32  sequence              18 u32 pressure, 0.1 Pa         25 u8  device id length n (≤ 64)
/// 6  i64  timestamp, Unix ms                                    26 n bytes device id (ASCII)
/// </code>
/// </remarks>
public static class TelemetryCodec
{
    /// <summary>The version byte of the binary layout.</summary>
    public const byte BinaryVersion = 1;

    private const int BinaryHeaderBytes = 26;
    private const int MaxDeviceIdBytes = 64;

    /// <summary>Encodes <paramref name="reading"/>, padded to at least <paramref name="minimumSize"/> bytes.</summary>
    public static byte[] Encode(TelemetryReading reading, PayloadFormat format, int minimumSize = 0) => format switch
    {
        PayloadFormat.Json => EncodeJson(reading, minimumSize),
        PayloadFormat.Binary => EncodeBinary(reading, minimumSize),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown payload format"),
    };

    /// <summary>Decodes a payload written by <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">The payload is not a telemetry record of that format.</exception>
    public static TelemetryReading Decode(ReadOnlySpan<byte> payload, PayloadFormat format) => format switch
    {
        PayloadFormat.Json => DecodeJson(payload),
        PayloadFormat.Binary => DecodeBinary(payload),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown payload format"),
    };

    /// <summary>The MQTT 5 content type a payload of <paramref name="format"/> is sent with.</summary>
    public static string ContentType(PayloadFormat format) =>
        format == PayloadFormat.Json ? "application/json" : "application/vnd.edgestream.telemetry.v1";

    private static byte[] EncodeJson(TelemetryReading r, int minimumSize)
    {
        using var buffer = new MemoryStream(Math.Max(minimumSize, 192));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("device", r.Device);
            w.WriteNumber("seq", r.Sequence);
            w.WriteString("ts", r.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteNumber("temperature", r.Temperature);
            w.WriteNumber("humidity", r.Humidity);
            w.WriteNumber("pressure", r.Pressure);
            w.WriteNumber("battery", r.Battery);
            w.WriteNumber("rssi", r.Rssi);
            w.WriteEndObject();
        }
        var json = buffer.ToArray();
        var missing = minimumSize - json.Length;
        if (missing <= 0)
        {
            return json;
        }
        // Insert before the closing brace: either ,"pad":"xxx" (9 bytes of syntax) or plain whitespace.
        var body = Encoding.UTF8.GetString(json, 0, json.Length - 1);
        var padded = missing >= 9 ? $"{body},\"pad\":\"{new string('x', missing - 9)}\"}}" : body + new string(' ', missing) + "}";
        return Encoding.UTF8.GetBytes(padded);
    }

    private static TelemetryReading DecodeJson(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var doc = JsonDocument.ParseValue(ref reader);
            var e = doc.RootElement;
            return new TelemetryReading(
                e.GetProperty("device").GetString() ?? throw new FormatException("device is null"),
                e.GetProperty("seq").GetInt64(),
                DateTimeOffset.Parse(e.GetProperty("ts").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                e.GetProperty("temperature").GetDouble(),
                e.GetProperty("humidity").GetDouble(),
                e.GetProperty("pressure").GetDouble(),
                e.GetProperty("battery").GetDouble(),
                e.GetProperty("rssi").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a JSON telemetry record: " + e.Message, e);
        }
    }

    private static byte[] EncodeBinary(TelemetryReading r, int minimumSize)
    {
        var id = Encoding.ASCII.GetBytes(r.Device);
        if (id.Length > MaxDeviceIdBytes)
        {
            throw new ArgumentException($"device id '{r.Device}' is longer than {MaxDeviceIdBytes} bytes", nameof(r));
        }
        var bytes = new byte[Math.Max(minimumSize, BinaryHeaderBytes + id.Length)];
        var s = bytes.AsSpan();
        s[0] = BinaryVersion;
        s[1] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(s[2..], checked((uint)r.Sequence));
        BinaryPrimitives.WriteInt64LittleEndian(s[6..], r.Timestamp.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt16LittleEndian(s[14..], checked((short)Math.Round(r.Temperature * 100)));
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], checked((ushort)Math.Round(r.Humidity * 100)));
        BinaryPrimitives.WriteUInt32LittleEndian(s[18..], checked((uint)Math.Round(r.Pressure * 10)));
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], checked((ushort)Math.Round(r.Battery * 1000)));
        s[24] = unchecked((byte)checked((sbyte)r.Rssi));
        s[25] = (byte)id.Length;
        id.CopyTo(s[BinaryHeaderBytes..]);
        return bytes;
    }

    private static TelemetryReading DecodeBinary(ReadOnlySpan<byte> p)
    {
        if (p.Length < BinaryHeaderBytes || p[0] != BinaryVersion || p.Length < BinaryHeaderBytes + p[25])
        {
            throw new FormatException($"not a binary telemetry record (length {p.Length}, version {(p.Length > 0 ? p[0] : -1)})");
        }
        return new TelemetryReading(
            Encoding.ASCII.GetString(p.Slice(BinaryHeaderBytes, p[25])),
            BinaryPrimitives.ReadUInt32LittleEndian(p[2..]),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(p[6..])),
            BinaryPrimitives.ReadInt16LittleEndian(p[14..]) / 100.0,
            BinaryPrimitives.ReadUInt16LittleEndian(p[16..]) / 100.0,
            BinaryPrimitives.ReadUInt32LittleEndian(p[18..]) / 10.0,
            BinaryPrimitives.ReadUInt16LittleEndian(p[22..]) / 1000.0,
            (sbyte)p[24]);
    }
}
