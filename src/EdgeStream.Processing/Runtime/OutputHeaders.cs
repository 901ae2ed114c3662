using System.Globalization;
using System.Text;
using EdgeStream.Log;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// The headers a rule puts on its output records: <c>es.rule</c> (rule id) and <c>es.id</c> (the output's
/// deterministic id) on every record; on the last record of each appended batch <c>es.inputs</c>, the input positions
/// consumed when the batch was produced (<c>topic/partition/next-offset</c>, comma-separated), and on an idle-close
/// batch <c>es.closed</c>, the keys closed (newline-separated). Records written by <c>edgestream rules backfill</c>
/// carry <c>es.backfill</c> too, so a live rule never counts them as its own. Upstream can de-duplicate on <c>es.id</c>. Stateless.
/// </summary>
internal static class OutputHeaders
{
    public const string Rule = "es.rule";
    public const string Id = "es.id";
    public const string Inputs = "es.inputs";
    public const string Closed = "es.closed";
    public const string Backfill = "es.backfill";

    public static string FormatInputs(IEnumerable<InputPosition> inputs)
        => string.Join(',', inputs.Select(i => string.Create(CultureInfo.InvariantCulture, $"{i.Topic}/{i.Partition}/{i.NextOffset}")));

    /// <summary>Parses <see cref="FormatInputs"/>' text; malformed entries (not written by a rule) are ignored.</summary>
    public static IEnumerable<InputPosition> ParseInputs(string text)
    {
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('/');
            if (parts.Length == 3
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var next))
            {
                yield return new InputPosition(parts[0], partition, next);
            }
        }
    }

    public static string? Text(StoredRecord record, string name)
        => record.GetHeader(name) is { } value ? Encoding.UTF8.GetString(value.Span) : null;

    public static RecordHeader Header(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));
}
