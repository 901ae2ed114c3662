using System.Globalization;
using System.Text.Json;
using EdgeStream.Log;

namespace EdgeStream.Http.Ingest;

/// <summary>
/// Turns JSON ingest bodies into records. A record object is
/// <c>{"value": ..., "key": "k", "headers": {"name": "v"}, "timestamp": "2026-01-02T03:04:05.678Z" | 1767323045678}</c>:
/// <list type="bullet">
/// <item><c>value</c> (required): a JSON string is stored as its UTF-8 text (unquoted); any other JSON (object,
/// array, number, true/false/null) is stored as its JSON text, exactly as sent.</item>
/// <item><c>key</c>: a string or null (no key: round-robin placement).</item>
/// <item><c>headers</c>: an object of string values; a name may repeat.</item>
/// <item><c>timestamp</c>: ISO-8601 (UTC unless an offset is given) or Unix milliseconds; default: receive time.</item>
/// <item><c>valueEncoding</c>/<c>keyEncoding</c>: <c>"base64"</c> when the string is base64 of binary bytes;
/// <c>headerEncoding</c>: <c>{"name": "base64"}</c> likewise — the same convention as <see cref="RecordJson"/>, so
/// pulled or dumped records can be posted again (their <c>topic</c>, <c>partition</c> and <c>offset</c> are ignored).</item>
/// </list>
/// Any other property is an error, so typos do not pass silently. Stateless; thread-safe.
/// </summary>
internal static class JsonRecordParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Parses a JSON array of records (or a single record object).</summary>
    public static List<LogRecord> ParseArray(ReadOnlyMemory<byte> body)
    {
        using var document = Parse(body, "body");
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            return [ParseRecord(root, "record 0")];
        }
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new IngestFormatException("body: expected a JSON array of record objects.");
        }
        var records = new List<LogRecord>(root.GetArrayLength());
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            records.Add(ParseRecord(element, $"record {i++}"));
        }
        return records.Count > 0 ? records : throw new IngestFormatException("body: the array holds no records.");
    }

    /// <summary>Parses JSON lines: one record object per line; blank lines are skipped; errors name the 1-based line.</summary>
    public static List<LogRecord> ParseLines(ReadOnlyMemory<byte> body)
    {
        var records = new List<LogRecord>();
        var rest = body;
        for (var line = 1; !rest.IsEmpty; line++)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var text = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (text.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }
            using var document = Parse(text, $"line {line}");
            records.Add(ParseRecord(document.RootElement, $"line {line}"));
        }
        return records.Count > 0 ? records : throw new IngestFormatException("body: no records (expected one JSON object per line).");
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> json, string where)
    {
        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            // The reader's line number is 0-based and relative to what it parsed.
            var position = where == "body" ? $"line {(e.LineNumber ?? 0) + 1}" : where;
            throw new IngestFormatException($"{position}: invalid JSON (byte {e.BytePositionInLine ?? 0} of the line).");
        }
    }

    private static LogRecord ParseRecord(JsonElement record, string where)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new IngestFormatException($"{where}: a record must be a JSON object.");
        }
        JsonElement? value = null, key = null, headers = null, headerEncoding = null, timestamp = null;
        string? valueEncoding = null, keyEncoding = null;
        foreach (var property in record.EnumerateObject())
        {
            switch (property.Name)
            {
                case "value": value = property.Value; break;
                case "key": key = property.Value; break;
                case "headers": headers = property.Value; break;
                case "headerEncoding": headerEncoding = property.Value; break;
                case "timestamp": timestamp = property.Value; break;
                case "valueEncoding": valueEncoding = Encoding(property.Value, where, "valueEncoding"); break;
                case "keyEncoding": keyEncoding = Encoding(property.Value, where, "keyEncoding"); break;
                case "topic" or "partition" or "offset": break;
                default:
                    throw new IngestFormatException($"{where}: unknown property \"{property.Name}\" (a record has value, key, headers, timestamp, valueEncoding, keyEncoding, headerEncoding).");
            }
        }
        if (value is not { } v)
        {
            throw new IngestFormatException($"{where}: \"value\" is missing.");
        }
        var valueBytes = valueEncoding is null && v.ValueKind != JsonValueKind.String
            ? System.Text.Encoding.UTF8.GetBytes(v.GetRawText())
            : Bytes(v, valueEncoding, where, "value");
        byte[]? keyBytes = key is { ValueKind: not JsonValueKind.Null } k ? Bytes(k, keyEncoding, where, "key") : null;
        return new LogRecord(valueBytes, keyBytes, Timestamp(timestamp, where), Headers(headers, headerEncoding, where));
    }

    private static string Encoding(JsonElement element, string where, string name)
        => element.ValueKind == JsonValueKind.String && element.ValueEquals("base64")
            ? "base64"
            : throw new IngestFormatException($"{where}: \"{name}\" must be \"base64\" when present.");

    private static byte[] Bytes(JsonElement element, string? encoding, string where, string name)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new IngestFormatException($"{where}: \"{name}\" must be a string.");
        }
        if (encoding is null)
        {
            return System.Text.Encoding.UTF8.GetBytes(element.GetString()!);
        }
        return element.TryGetBytesFromBase64(out var bytes)
            ? bytes
            : throw new IngestFormatException($"{where}: \"{name}\" is not valid base64.");
    }

    private static List<RecordHeader>? Headers(JsonElement? headers, JsonElement? encodings, string where)
    {
        if (headers is not { ValueKind: not JsonValueKind.Null } h)
        {
            return null;
        }
        if (h.ValueKind != JsonValueKind.Object)
        {
            throw new IngestFormatException($"{where}: \"headers\" must be an object of string values.");
        }
        var base64 = new HashSet<string>(StringComparer.Ordinal);
        if (encodings is { ValueKind: JsonValueKind.Object } e)
        {
            foreach (var p in e.EnumerateObject())
            {
                Encoding(p.Value, where, $"headerEncoding.{p.Name}");
                base64.Add(p.Name);
            }
        }
        else if (encodings is { ValueKind: not JsonValueKind.Null })
        {
            throw new IngestFormatException($"{where}: \"headerEncoding\" must be an object.");
        }
        var list = new List<RecordHeader>();
        foreach (var p in h.EnumerateObject())
        {
            list.Add(new RecordHeader(p.Name, Bytes(p.Value, base64.Contains(p.Name) ? "base64" : null, where, $"headers.{p.Name}")));
        }
        return list;
    }

    private static DateTimeOffset? Timestamp(JsonElement? timestamp, string where)
    {
        switch (timestamp)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } s when DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed):
                return parsed;
            case { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var ms) && ms is >= 0 and <= 253402300799999:
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            default:
                throw new IngestFormatException($"{where}: \"timestamp\" must be an ISO-8601 string or Unix milliseconds.");
        }
    }
}
