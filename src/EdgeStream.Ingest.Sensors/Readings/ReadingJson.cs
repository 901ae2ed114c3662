using System.Buffers;
using System.Text.Json;

namespace EdgeStream.Ingest.Sensors.Readings;

/// <summary>
/// Writes the record value of a reading as compact JSON (schema in docs/sensors.md):
/// <code>{"sensor":"greenhouse","type":"bme280","ts":"2026-05-01T12:00:00.000Z","quantities":{"temperature":{"value":21.5,"unit":"°C"}},"tags":{"site":"a"},"status":"ok"}</code>
/// Stateless and thread-safe.
/// </summary>
internal static class ReadingJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Serialize(SensorReading reading, IReadOnlyDictionary<string, string> tags)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("sensor", reading.Sensor);
            json.WriteString("type", reading.Type);
            json.WriteString("ts", reading.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("quantities");
            foreach (var q in reading.Quantities)
            {
                json.WriteStartObject(q.Name);
                json.WriteNumber("value", q.Value);
                json.WriteString("unit", q.Unit);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("tags");
            foreach (var (key, value) in tags)
            {
                json.WriteString(key, value);
            }
            json.WriteEndObject();
            json.WriteString("status", "ok");
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
