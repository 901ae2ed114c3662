using System.Text;
using System.Text.Unicode;
using EdgeStream.Http;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// The human-readable line of one record for <c>--format text</c>:
/// <c>{timestamp} {topic}/{partition}@{offset} key={key} {name}={value}... | {value}</c>.
/// Bytes that are not valid UTF-8 print as <c>base64:...</c>; control characters print escaped so one record stays
/// one line. Meant for eyes, not parsers (use jsonl). Stateless; thread-safe.
/// </summary>
internal static class RecordText
{
    public static string Format(StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var sb = new StringBuilder();
        sb.Append(RecordJson.FormatTimestamp(record.Timestamp)).Append(' ')
          .Append(record.Topic).Append('/').Append(record.Partition).Append('@').Append(record.Offset);
        sb.Append(" key=").Append(record.Key is { } key ? Bytes(key.Span) : "-");
        foreach (var h in record.Headers)
        {
            sb.Append(' ').Append(h.Name).Append('=').Append(Bytes(h.Value.Span));
        }
        sb.Append(" | ").Append(Bytes(record.Value.Span));
        return sb.ToString();
    }

    private static string Bytes(ReadOnlySpan<byte> bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            return "base64:" + Convert.ToBase64String(bytes);
        }
        var text = Encoding.UTF8.GetString(bytes);
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
