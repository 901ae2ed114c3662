using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;

namespace EdgeStream.Processing.Tests.Engine;

/// <summary>Builds rules and records and runs an evaluator over them.</summary>
internal static class RuleHarness
{
    public static readonly DateTimeOffset T0 = new(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);

    public static RuleOptions Tumbling(TimeSpan size, Dictionary<string, string> aggregates, string late = "drop", TimeSpan? lateness = null) => new()
    {
        Id = "r",
        From = new FromOptions { Topic = "sensors" },
        Time = new TimeOptions { Field = "/ts", Late = late, SideTopic = "late", AllowedLateness = lateness ?? TimeSpan.Zero },
        Window = new WindowOptions { Type = "tumbling", Size = size },
        GroupBy = ["/sensor"],
        Aggregate = aggregates,
        To = new ToOptions { Topic = "agg" },
    };

    public static string Rec(string sensor, DateTimeOffset ts, double? value, string extra = "") =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"sensor\":\"{sensor}\",\"ts\":\"{ts.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\"{(value is { } v ? $",\"v\":{v.ToString("R", CultureInfo.InvariantCulture)}" : "")}{extra}}}");

    private static long _offset;

    public static RuleInput Input(string json, DateTimeOffset? logTime = null, long? offset = null) =>
        new("sensors", 0, offset ?? Interlocked.Increment(ref _offset), logTime ?? T0, null, Encoding.UTF8.GetBytes(json));

    public static List<RuleOutput> Run(IRuleEvaluator e, IEnumerable<RuleInput> inputs, TimeSpan? processingTime = null)
    {
        var outputs = new List<RuleOutput>();
        foreach (var input in inputs)
        {
            e.OnRecord(input, processingTime ?? TimeSpan.Zero, outputs);
        }
        return outputs;
    }

    public static List<RuleOutput> Flush(IRuleEvaluator e)
    {
        var outputs = new List<RuleOutput>();
        e.CloseKeys(e.CollectIdleKeys(TimeSpan.FromDays(3650)), outputs);
        return outputs;
    }

    public static JsonElement Value(RuleOutput o) => JsonDocument.Parse(o.Value).RootElement;

    public static string Text(RuleOutput o) => Encoding.UTF8.GetString(o.Value.Span);

    public static byte[] Snapshot(IRuleEvaluator e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        e.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
