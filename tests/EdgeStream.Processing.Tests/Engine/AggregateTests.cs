using EdgeStream.Processing.Engine;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class AggregateTests
{
    private static System.Text.Json.JsonElement OneWindow(Dictionary<string, string> aggregates, params (int Seconds, double Value)[] samples)
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), aggregates));
        var outputs = Run(e, samples.Select(s => Input(Rec("a", T0.AddSeconds(s.Seconds), s.Value))));
        Assert.Empty(outputs);
        outputs = Flush(e);
        return Value(Assert.Single(outputs));
    }

    [Fact]
    public void Every_aggregate_matches_hand_computed_values()
    {
        var v = OneWindow(
            new()
            {
                ["n"] = "count()",
                ["sum"] = "sum(/v)",
                ["min"] = "min(/v)",
                ["max"] = "max(/v)",
                ["mean"] = "mean(/v)",
                ["first"] = "first(/v)",
                ["last"] = "last(/v)",
                ["delta"] = "delta(/v)",
                ["var"] = "variance(/v)",
                ["sd"] = "stddev(/v)",
                ["twa"] = "twa(/v)",
                ["int"] = "integral(/v)",
                ["p50"] = "quantile(/v, 0.5)",
                ["quiet20"] = "absent_for(00:00:20)",
                ["quiet40"] = "absent_for(00:00:40)",
            },
            (0, 1), (10, 3), (20, 2), (30, 6));
        Assert.Equal(4, v.GetProperty("n").GetInt64());
        Assert.Equal(4, v.GetProperty("count").GetInt64());
        Assert.Equal(12, v.GetProperty("sum").GetDouble());
        Assert.Equal(1, v.GetProperty("min").GetDouble());
        Assert.Equal(6, v.GetProperty("max").GetDouble());
        Assert.Equal(3, v.GetProperty("mean").GetDouble());
        Assert.Equal(1, v.GetProperty("first").GetDouble());
        Assert.Equal(6, v.GetProperty("last").GetDouble());
        Assert.Equal(5, v.GetProperty("delta").GetDouble());
        // Deviations from the mean 3: 4, 0, 1, 9 → 14 / (4 − 1).
        Assert.Equal(14.0 / 3, v.GetProperty("var").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(14.0 / 3), v.GetProperty("sd").GetDouble(), 12);
        // Trapezoids: (1+3)/2·10 + (3+2)/2·10 + (2+6)/2·10 = 85 value·s over 30 s.
        Assert.Equal(85, v.GetProperty("int").GetDouble(), 12);
        Assert.Equal(85.0 / 30, v.GetProperty("twa").GetDouble(), 12);
        // Sorted 1, 2, 3, 6: rank ⌊0.5 · 3⌋ = 1 → 2, within the sketch's 1 %.
        Assert.Equal(2, v.GetProperty("p50").GetDouble(), 0.02);
        // Last record at 00:30 of a window ending at 01:00.
        Assert.True(v.GetProperty("quiet20").GetBoolean());
        Assert.False(v.GetProperty("quiet40").GetBoolean());
        Assert.Equal("2026-05-01T10:00:00Z", v.GetProperty("start").GetString());
        Assert.Equal("2026-05-01T10:01:00Z", v.GetProperty("end").GetString());
        Assert.Equal(0, v.GetProperty("revision").GetInt32());
        Assert.Equal("a", v.GetProperty("sensor").GetString());
    }

    [Fact]
    public void Rate_counts_a_counter_reset_as_an_increase_from_zero()
    {
        // 10 → 15 (+5) → 3 (reset: +3) → 8 (+5) = 13 over 30 s.
        var v = OneWindow(new() { ["r"] = "rate(/v)" }, (0, 10), (10, 15), (20, 3), (30, 8));
        Assert.Equal(13.0 / 30, v.GetProperty("r").GetDouble(), 12);
    }

    [Fact]
    public void First_and_last_follow_event_time_not_arrival()
    {
        var v = OneWindow(new() { ["f"] = "first(/v)", ["l"] = "last(/v)", ["d"] = "delta(/v)" }, (20, 2), (5, 7), (40, 9), (30, 1));
        Assert.Equal(7, v.GetProperty("f").GetDouble());
        Assert.Equal(9, v.GetProperty("l").GetDouble());
        Assert.Equal(2, v.GetProperty("d").GetDouble());
    }

    [Fact]
    public void Aggregates_of_no_values_are_null_and_variance_needs_two()
    {
        var v = OneWindow(new() { ["n"] = "count(/missing)", ["m"] = "mean(/missing)", ["var"] = "variance(/v)", ["r"] = "rate(/v)" }, (0, 5));
        Assert.Equal(0, v.GetProperty("n").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, v.GetProperty("m").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, v.GetProperty("var").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, v.GetProperty("r").ValueKind);
    }
}
