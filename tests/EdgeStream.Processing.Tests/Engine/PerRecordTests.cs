using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class PerRecordTests
{
    private static RuleOptions PerRecord() => new()
    {
        Id = "m",
        From = new FromOptions { Topic = "sensors" },
        Time = new TimeOptions { Field = "/ts" },
        GroupBy = ["/sensor"],
        To = new ToOptions { Topic = "out" },
    };

    [Fact]
    public void Where_filters_with_has_and_bare_json_pointers()
    {
        var rule = PerRecord();
        rule.Where = "has(/v) && /v / 2 > 1 && /sensor != 'ignored'";
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e,
        [
            Input(Rec("a", T0, 3)),
            Input(Rec("a", T0, 1)),
            Input(Rec("a", T0, null)),
            Input(Rec("ignored", T0, 9)),
        ]);
        var o = Assert.Single(outputs);
        Assert.Equal(3, Value(o).GetProperty("v").GetDouble());
        Assert.Equal("out", o.Topic);
        Assert.Equal(0, e.Stats.Skipped);
    }

    [Fact]
    public void Map_computes_renames_converts_units_and_select_copies_fields()
    {
        var rule = PerRecord();
        rule.Select = ["/sensor", "/tags"];
        rule.Map = new() { ["celsius"] = "/v", ["fahrenheit"] = "/v * 9 / 5 + 32", ["hot"] = "/v > 30", ["label"] = "'s-' + /sensor" };
        var e = RuleEvaluatorFactory.Create(rule);
        var o = Assert.Single(Run(e, [Input(Rec("a", T0, 35, ",\"tags\":{\"site\":\"north\"}"))]));
        Assert.Equal("{\"sensor\":\"a\",\"tags\":{\"site\":\"north\"},\"celsius\":35,\"fahrenheit\":95,\"hot\":true,\"label\":\"s-a\"}", Text(o));
        Assert.StartsWith("m/sensors/0/", o.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void Deadband_emits_only_moves_beyond_the_threshold_plus_a_heartbeat()
    {
        var rule = PerRecord();
        rule.Deadband = new DeadbandOptions { Fields = new() { ["/v"] = 0.5 }, Heartbeat = TimeSpan.FromMinutes(1) };
        var e = RuleEvaluatorFactory.Create(rule);
        double[] values = [20, 20.2, 20.4, 20.6, 20.7, 20.0, 20.05];
        var outputs = Run(e, values.Select((v, i) => Input(Rec("a", T0.AddSeconds(i * 10), v))));
        // 20 (first), 20.6 (Δ 0.6), 20.0 (Δ 0.6), then 20.05 at 60 s: the heartbeat is due only 60 s after the last emission (50 s).
        Assert.Equal([20, 20.6, 20.0], outputs.Select(o => Value(o).GetProperty("v").GetDouble()));
        outputs = Run(e, [Input(Rec("a", T0.AddSeconds(110), 20.0))]);
        Assert.Single(outputs);
    }

    [Fact]
    public void Alert_is_raised_after_holding_for_the_duration_and_cleared_past_the_clear_threshold()
    {
        var rule = PerRecord();
        rule.To = new ToOptions();
        rule.Alert = new AlertOptions { Name = "hot", Value = "/v", Raise = 30, Clear = 25, For = TimeSpan.FromSeconds(20), Topic = "alerts" };
        var e = RuleEvaluatorFactory.Create(rule);
        // 31 at 0 s starts the pending period; 29 at 10 s is below Raise: the period restarts at 32 (20 s) and holds to 40 s.
        double[] values = [31, 29, 32, 33, 34, 28, 26, 24, 31];
        var outputs = Run(e, values.Select((v, i) => Input(Rec("a", T0.AddSeconds(i * 10), v))));
        Assert.Equal(2, outputs.Count);
        var raised = Value(outputs[0]);
        Assert.Equal("raised", raised.GetProperty("state").GetString());
        Assert.Equal(34, raised.GetProperty("value").GetDouble());
        Assert.Equal(T0.AddSeconds(20), raised.GetProperty("since").GetDateTimeOffset());
        Assert.Equal($"m/a/{T0.AddSeconds(40).ToUnixTimeMilliseconds()}/raised", outputs[0].Id);
        Assert.Equal("alerts", outputs[0].Topic);
        var cleared = Value(outputs[1]);
        Assert.Equal("cleared", cleared.GetProperty("state").GetString());
        Assert.Equal(24, cleared.GetProperty("value").GetDouble());
    }

    [Fact]
    public void Bad_records_are_counted_as_skipped_and_never_throw()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["m"] = "mean(/v)" });
        rule.Where = "/v > 0";
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e,
        [
            Input("not json"),
            Input("{\"sensor\":\"a\",\"ts\":"),
            Input("[1,2,3]"),
            Input("{\"sensor\":\"a\",\"v\":1}"),
            Input("{\"sensor\":\"a\",\"ts\":\"yesterday\",\"v\":1}"),
            Input(Rec("a", T0, null)),
            Input("{\"ts\":\"2026-05-01T10:00:00Z\",\"v\":1}"),
            Input("{\"sensor\":{\"x\":1},\"ts\":\"2026-05-01T10:00:00Z\",\"v\":1}"),
            Input("{\"sensor\":\"a\",\"ts\":\"2026-05-01T10:00:00Z\",\"v\":1} trailing"),
            Input(Rec("a", T0, 2)),
        ]);
        Assert.Empty(outputs);
        var stats = e.Stats;
        Assert.Equal(10, stats.RecordsIn);
        Assert.Equal(9, stats.Skipped);
        Assert.Equal(1, Value(Assert.Single(Flush(e))).GetProperty("count").GetInt64());
    }

    [Fact]
    public void Max_keys_evicts_the_least_recently_seen_key_after_emitting_its_windows()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.MaxKeys = 2;
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, new[] { "a", "b", "a", "c" }.Select(k => Input(Rec(k, T0, 1))));
        Assert.Equal("r/b/" + T0.ToUnixTimeMilliseconds() + "/0", Assert.Single(outputs).Id);
        Assert.Equal(2, e.Stats.Keys);
    }

    [Fact]
    public void An_evicted_key_that_comes_back_does_not_emit_an_already_emitted_window_id_again()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.MaxKeys = 2;
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, new[] { "a", "b", "c" }.Select(k => Input(Rec(k, T0, 1))));
        Assert.Equal("r/a/" + T0.ToUnixTimeMilliseconds() + "/0", Assert.Single(outputs).Id);
        outputs = Run(e, [Input(Rec("a", T0.AddSeconds(10), 1))]);
        // a's window of 10:00 was emitted at its eviction: the returning record is late; b is evicted in turn.
        Assert.Equal("r/b/" + T0.ToUnixTimeMilliseconds() + "/0", Assert.Single(outputs).Id);
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void A_key_evicted_a_second_time_keeps_its_tombstone_and_never_emits_a_window_id_twice()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.MaxKeys = 2;
        var e = RuleEvaluatorFactory.Create(rule);
        var t1 = T0.AddMinutes(1);
        var outputs = Run(e,
        [
            Input(Rec("a", T0, 1)), Input(Rec("b", T0, 1)),
            Input(Rec("c", T0, 1)),                    // evicts a (its 10:00 window emitted)
            Input(Rec("a", t1, 1)),                    // a comes back, opens 10:01; evicts b
            Input(Rec("c", T0.AddSeconds(1), 1)),      // c is now more recent than a
            Input(Rec("d", T0, 1)),                    // evicts a again: its 10:01 window is emitted
            Input(Rec("a", t1.AddSeconds(10), 1)),     // a's 10:01 window was emitted: late, not a new window
        ]);
        outputs.AddRange(Flush(e));
        var ids = outputs.Select(o => o.Id).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Contains($"r/a/{t1.ToUnixTimeMilliseconds()}/0", ids);
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void Max_open_windows_closes_the_oldest_window_early_and_its_later_records_are_late()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" }, lateness: TimeSpan.FromHours(1));
        rule.MaxOpenWindows = 2;
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, new[] { 0, 1, 2 }.Select(m => Input(Rec("a", T0.AddMinutes(m), 1))));
        Assert.Equal($"r/a/{T0.ToUnixTimeMilliseconds()}/0", Assert.Single(outputs).Id);
        Assert.Equal(2, e.Stats.OpenWindows);
        Assert.Empty(Run(e, [Input(Rec("a", T0.AddSeconds(30), 1))]));
        Assert.Equal(1, e.Stats.Late);
    }
}
