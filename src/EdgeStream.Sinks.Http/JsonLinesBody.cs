using System.IO.Compression;
using System.Text.Json;
using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Http;

/// <summary>
/// Encodes a batch as JSON lines, one object per record:
/// <c>{"id","topic","partition","offset","timestamp","key","value","headers":[{"name","value"}]}</c> where key, value
/// and header values are base64 (payloads are opaque bytes). Optionally gzip-compressed. Stateless.
/// </summary>
internal static class JsonLinesBody
{
    public static byte[] Encode(SinkBatch batch, bool gzip)
    {
        using var buffer = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : buffer)
        {
            using var json = new Utf8JsonWriter(target);
            foreach (var r in batch.Records)
            {
                json.WriteStartObject();
                json.WriteString("id", batch.IdOf(r));
                json.WriteString("topic", r.Topic);
                json.WriteNumber("partition", r.Partition);
                json.WriteNumber("offset", r.Offset);
                json.WriteString("timestamp", r.Timestamp);
                if (r.Key is { } key)
                {
                    json.WriteBase64String("key", key.Span);
                }
                else
                {
                    json.WriteNull("key");
                }
                json.WriteBase64String("value", r.Value.Span);
                json.WriteStartArray("headers");
                foreach (var h in r.Headers)
                {
                    json.WriteStartObject();
                    json.WriteString("name", h.Name);
                    json.WriteBase64String("value", h.Value.Span);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
                json.Flush();
                target.WriteByte((byte)'\n');
                json.Reset();
            }
        }
        return buffer.ToArray();
    }
}
