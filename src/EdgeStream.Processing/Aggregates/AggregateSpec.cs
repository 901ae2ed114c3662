using System.Globalization;
using EdgeStream.Processing.Json;

namespace EdgeStream.Processing.Aggregates;

/// <summary>The aggregate functions.</summary>
internal enum AggregateKind
{
    Count,
    Sum,
    Min,
    Max,
    Mean,
    First,
    Last,
    StdDev,
    Variance,
    Delta,
    Rate,
    TimeWeightedAverage,
    Integral,
    Quantile,
    AbsentFor,
}

/// <summary>A parsed aggregate call such as <c>quantile(/quantities/temperature/value, 0.95)</c>. Immutable.</summary>
/// <param name="Kind">The function.</param>
/// <param name="Pointer">The field it reads (null for count() and absent_for()).</param>
/// <param name="Quantile">q for quantile().</param>
/// <param name="Duration">d for absent_for().</param>
internal sealed record AggregateSpec(AggregateKind Kind, string? Pointer, double Quantile, TimeSpan Duration)
{
    private static readonly Dictionary<string, AggregateKind> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["count"] = AggregateKind.Count,
        ["sum"] = AggregateKind.Sum,
        ["min"] = AggregateKind.Min,
        ["max"] = AggregateKind.Max,
        ["mean"] = AggregateKind.Mean,
        ["avg"] = AggregateKind.Mean,
        ["first"] = AggregateKind.First,
        ["last"] = AggregateKind.Last,
        ["stddev"] = AggregateKind.StdDev,
        ["variance"] = AggregateKind.Variance,
        ["delta"] = AggregateKind.Delta,
        ["rate"] = AggregateKind.Rate,
        ["twa"] = AggregateKind.TimeWeightedAverage,
        ["integral"] = AggregateKind.Integral,
        ["quantile"] = AggregateKind.Quantile,
        ["absent_for"] = AggregateKind.AbsentFor,
    };

    /// <summary>The function names accepted (for messages and docs).</summary>
    public static string FunctionList => "count(), count(/f), sum, min, max, mean (avg), first, last, stddev, variance, delta, rate, twa, integral (all of one /field), quantile(/field, q), absent_for(hh:mm:ss)";

    /// <summary>Parses an aggregate call; false with a reason when it is not one.</summary>
    public static bool TryParse(string text, out AggregateSpec spec, out string error)
    {
        spec = new AggregateSpec(AggregateKind.Count, null, 0, TimeSpan.Zero);
        text = text.Trim();
        int open = text.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !text.EndsWith(')'))
        {
            error = $"'{text}' is not an aggregate call; use one of {FunctionList}.";
            return false;
        }
        string name = text[..open].Trim();
        if (!Names.TryGetValue(name, out var kind))
        {
            error = $"unknown aggregate '{name}'; use one of {FunctionList}.";
            return false;
        }
        var args = text[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
        if (args is [""])
        {
            args = [];
        }
        string? pointer = null;
        double q = 0;
        var d = TimeSpan.Zero;
        switch (kind)
        {
            case AggregateKind.Count when args.Length == 0:
                break;
            case AggregateKind.AbsentFor:
                if (args.Length != 1 || !TimeSpan.TryParse(args[0], CultureInfo.InvariantCulture, out d) || d <= TimeSpan.Zero)
                {
                    error = "absent_for() takes one positive duration, e.g. absent_for(00:05:00).";
                    return false;
                }
                break;
            case AggregateKind.Quantile:
                if (args.Length != 2 || !double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out q) || !(q >= 0 && q <= 1))
                {
                    error = "quantile() takes a field and q between 0 and 1, e.g. quantile(/value, 0.95).";
                    return false;
                }
                pointer = args[0];
                break;
            default:
                if (args.Length != 1)
                {
                    error = $"{name}() takes one field (a JSON pointer).";
                    return false;
                }
                pointer = args[0];
                break;
        }
        if (pointer is not null && !JsonPointer.TryParse(pointer, out _, out var reason))
        {
            error = reason;
            return false;
        }
        spec = new AggregateSpec(kind, pointer, q, d);
        error = "";
        return true;
    }
}
