using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using EdgeStream.Log;

namespace EdgeStream.Http;

/// <summary>
/// The JSON shape of one stored record, shared by <c>log dump --format jsonl</c> and the HTTP pull API, so both
/// print exactly the same thing. One object, properties in this order:
/// <code>
/// {"topic":"sensors","partition":0,"offset":42,"timestamp":"2026-11-24T22:33:21.123Z",
///  "key":"dev-1",                      // UTF-8 text, or null when the record has no key
///  "keyEncoding":"base64",             // only when the key is not valid UTF-8; "key" is then base64
///  "headers":{"content-type":"application/json"},
///  "headerEncoding":{"sig":"base64"},  // only when some header value is not valid UTF-8: the names whose values are base64
///  "value":"{\"t\":21.5}",
///  "valueEncoding":"base64"}           // only when the value is not valid UTF-8; "value" is then base64
/// </code>
/// The timestamp is UTC with milliseconds (the log's precision). Headers may repeat a name; a repeated name is written
/// as a repeated property in stored order, and if any value under a name is not UTF-8 every value under that name is
/// base64, so <c>headerEncoding</c> stays one entry per name. Text is written with relaxed escaping (non-ASCII as is),
/// which is correct JSON but must not be pasted into HTML unescaped. Stateless; thread-safe.
/// </summary>
public static class RecordJson
{
    /// <summary>Writer options for record JSON: compact, non-ASCII kept readable.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes <paramref name="record"/> as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(record);
        writer.WriteStartObject();
        writer.WriteString("topic", record.Topic);
        writer.WriteNumber("partition", record.Partition);
        writer.WriteNumber("offset", record.Offset);
        writer.WriteString("timestamp", FormatTimestamp(record.Timestamp));
        if (record.Key is { } key)
        {
            WriteBytes(writer, "key", "keyEncoding", key.Span);
        }
        else
        {
            writer.WriteNull("key");
        }
        WriteHeaders(writer, record.Headers);
        WriteBytes(writer, "value", "valueEncoding", record.Value.Span);
        writer.WriteEndObject();
    }

    /// <summary>ISO-8601 UTC with exactly three fractional digits, e.g. <c>2026-11-24T22:33:21.123Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset timestamp)
        => timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteBytes(Utf8JsonWriter writer, string name, string encodingName, ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            writer.WriteString(name, bytes);
        }
        else
        {
            writer.WriteBase64String(name, bytes);
            writer.WriteString(encodingName, "base64");
        }
    }

    private static void WriteHeaders(Utf8JsonWriter writer, IReadOnlyList<RecordHeader> headers)
    {
        HashSet<string>? binary = null;
        foreach (var h in headers)
        {
            if (!Utf8.IsValid(h.Value.Span))
            {
                (binary ??= new HashSet<string>(StringComparer.Ordinal)).Add(h.Name);
            }
        }
        writer.WriteStartObject("headers");
        foreach (var h in headers)
        {
            if (binary?.Contains(h.Name) == true)
            {
                writer.WriteBase64String(h.Name, h.Value.Span);
            }
            else
            {
                writer.WriteString(h.Name, h.Value.Span);
            }
        }
        writer.WriteEndObject();
        if (binary is null)
        {
            return;
        }
        writer.WriteStartObject("headerEncoding");
        // Stored order, each name once, so the output is deterministic.
        foreach (var name in headers.Select(h => h.Name).Distinct(StringComparer.Ordinal).Where(binary.Contains))
        {
            writer.WriteString(name, "base64");
        }
        writer.WriteEndObject();
    }
}
