using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Windows;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class WindowTests
{
    [Theory]
    [InlineData(0, 60_000, 0, 0)]
    [InlineData(59_999, 60_000, 0, 0)]
    [InlineData(60_000, 60_000, 0, 60_000)]
    [InlineData(-1, 60_000, 0, -60_000)]
    [InlineData(10_000, 60_000, 30_000, -30_000)]
    [InlineData(40_000, 60_000, 30_000, 30_000)]
    public void Tumbling_windows_are_aligned_to_the_epoch_plus_the_offset(long t, long size, long offset, long start) =>
        Assert.Equal(start, WindowMath.TumblingStart(t, size, offset));

    [Fact]
    public void Hopping_windows_hold_every_record_in_size_over_hop_windows()
    {
        var (first, last) = WindowMath.HoppingStarts(65_000, 60_000, 20_000, 0);
        Assert.Equal(20_000, first);
        Assert.Equal(60_000, last);
        (first, last) = WindowMath.HoppingStarts(60_000, 60_000, 20_000, 0);
        Assert.Equal(20_000, first);
        Assert.Equal(60_000, last);
    }

    [Fact]
    public void A_window_closes_when_its_keys_watermark_passes_its_end()
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" }, lateness: TimeSpan.FromSeconds(10)));
        var outputs = Run(e, [Input(Rec("a", T0.AddSeconds(5), 1)), Input(Rec("a", T0.AddSeconds(65), 1))]);
        Assert.Empty(outputs);
        outputs = Run(e, [Input(Rec("a", T0.AddSeconds(70), 1))]);
        var o = Assert.Single(outputs);
        Assert.Equal($"r/a/{T0.ToUnixTimeMilliseconds()}/0", o.Id);
        Assert.Equal("agg", o.Topic);
        Assert.Equal(T0.AddMinutes(1), o.Timestamp);
        Assert.Equal("a"u8.ToArray(), o.Key!.Value.ToArray());
        Assert.Equal(1, Value(o).GetProperty("count").GetInt64());
    }

    [Fact]
    public void Hopping_windows_each_count_the_records_they_cover()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.Window = new WindowOptions { Type = "hopping", Size = TimeSpan.FromMinutes(1), Hop = TimeSpan.FromSeconds(30) };
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, new[] { 0, 20, 40, 50 }.Select(s => Input(Rec("a", T0.AddSeconds(s), 1))));
        outputs.AddRange(Flush(e));
        var counts = outputs.ToDictionary(o => Value(o).GetProperty("start").GetDateTimeOffset(), o => Value(o).GetProperty("count").GetInt64());
        Assert.Equal(2, counts[T0.AddSeconds(-30)]);
        Assert.Equal(4, counts[T0]);
        Assert.Equal(2, counts[T0.AddSeconds(30)]);
        Assert.Equal(3, counts.Count);
    }

    [Fact]
    public void Session_windows_end_after_the_gap_and_are_cut_at_the_maximum_duration()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.Window = new WindowOptions { Type = "session", Gap = TimeSpan.FromSeconds(30), MaxDuration = TimeSpan.FromMinutes(2) };
        var e = RuleEvaluatorFactory.Create(rule);
        // Session 1: 0, 20, 40 (gap ≤ 30 s). 100 s is 60 s after 40 → session 1 closes once the watermark passes 70 s.
        var outputs = Run(e, new[] { 0, 20, 40, 100 }.Select(s => Input(Rec("a", T0.AddSeconds(s), 1))));
        var first = Value(Assert.Single(outputs));
        Assert.Equal(3, first.GetProperty("count").GetInt64());
        Assert.Equal(T0, first.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(T0.AddSeconds(70), first.GetProperty("end").GetDateTimeOffset());
        // Session 2 runs 100, 125, 150, … every 25 s; it is cut after 120 s.
        outputs = Run(e, Enumerable.Range(1, 6).Select(i => Input(Rec("a", T0.AddSeconds(100 + (25 * i)), 1))));
        var cut = Value(Assert.Single(outputs));
        Assert.Equal(T0.AddSeconds(100), cut.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(5, cut.GetProperty("count").GetInt64());
    }

    [Fact]
    public void Count_windows_emit_every_n_records_per_key()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["s"] = "sum(/v)" });
        rule.Window = new WindowOptions { Type = "count", Count = 3 };
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, Enumerable.Range(0, 7).Select(i => Input(Rec(i % 2 == 0 ? "a" : "b", T0.AddSeconds(i), i))));
        // a: 0, 2, 4 → 6; b: 1, 3, 5 → 9; a's 6 stays open. Count windows are numbered per rule.
        Assert.Equal(["r/a/0/0", "r/b/1/0"], outputs.Select(o => o.Id));
        Assert.Equal(6, Value(outputs[0]).GetProperty("s").GetDouble());
        Assert.Equal(9, Value(outputs[1]).GetProperty("s").GetDouble());
        var rest = Flush(e);
        Assert.Equal("r/a/2/0", Assert.Single(rest).Id);
    }

    [Fact]
    public void Sliding_windows_emit_the_aggregate_of_the_last_size_on_every_record()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["m"] = "mean(/v)" });
        rule.Window = new WindowOptions { Type = "sliding", Size = TimeSpan.FromSeconds(30) };
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, new[] { (0, 1.0), (10, 3.0), (20, 5.0), (40, 7.0) }.Select(s => Input(Rec("a", T0.AddSeconds(s.Item1), s.Item2))));
        Assert.Equal([1, 2, 3, 6], outputs.Select(o => Value(o).GetProperty("m").GetDouble()));
    }
}
