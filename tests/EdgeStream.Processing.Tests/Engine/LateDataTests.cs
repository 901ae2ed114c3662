using EdgeStream.Processing.Engine;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class LateDataTests
{
    private static (IRuleEvaluator E, List<RuleOutput> Outputs) CloseFirstWindowThenSendLate(string policy)
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), new() { ["s"] = "sum(/v)" }, policy));
        var outputs = Run(e, [Input(Rec("a", T0.AddSeconds(10), 1)), Input(Rec("a", T0.AddSeconds(70), 2))]);
        Assert.Equal(1, Value(Assert.Single(outputs)).GetProperty("s").GetDouble());
        return (e, Run(e, [Input(Rec("a", T0.AddSeconds(20), 5))]));
    }

    [Fact]
    public void Late_record_under_drop_is_counted_and_changes_nothing()
    {
        var (e, outputs) = CloseFirstWindowThenSendLate("drop");
        Assert.Empty(outputs);
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void Late_record_under_side_topic_goes_unchanged_to_the_side_topic()
    {
        var (e, outputs) = CloseFirstWindowThenSendLate("side-topic");
        var o = Assert.Single(outputs);
        Assert.Equal("late", o.Topic);
        Assert.Equal(5, Value(o).GetProperty("v").GetDouble());
        Assert.StartsWith("r/sensors/0/", o.Id, StringComparison.Ordinal);
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void Late_record_under_revise_re_emits_the_window_with_the_next_revision()
    {
        var (e, outputs) = CloseFirstWindowThenSendLate("revise");
        var o = Assert.Single(outputs);
        Assert.Equal($"r/a/{T0.ToUnixTimeMilliseconds()}/1", o.Id);
        var v = Value(o);
        Assert.Equal(6, v.GetProperty("s").GetDouble());
        Assert.Equal(2, v.GetProperty("count").GetInt64());
        Assert.Equal(1, v.GetProperty("revision").GetInt32());
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void Revise_forgets_a_window_once_the_watermark_passes_its_end_plus_the_horizon()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["s"] = "sum(/v)" }, "revise");
        rule.Time.ReviseHorizon = TimeSpan.FromMinutes(1);
        var e = RuleEvaluatorFactory.Create(rule);
        Run(e, [Input(Rec("a", T0.AddSeconds(10), 1)), Input(Rec("a", T0.AddSeconds(125), 2))]);
        Assert.Equal(1, e.Stats.OpenWindows);
        var outputs = Run(e, [Input(Rec("a", T0.AddSeconds(20), 5))]);
        Assert.Empty(outputs);
        Assert.Equal(1, e.Stats.Late);
    }

    [Fact]
    public void Out_of_order_records_within_the_allowed_lateness_are_not_late()
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), new() { ["s"] = "sum(/v)" }, lateness: TimeSpan.FromSeconds(30)));
        var outputs = Run(e, [Input(Rec("a", T0.AddSeconds(50), 1)), Input(Rec("a", T0.AddSeconds(75), 2)), Input(Rec("a", T0.AddSeconds(40), 4))]);
        Assert.Empty(outputs);
        outputs = Run(e, [Input(Rec("a", T0.AddSeconds(95), 8))]);
        Assert.Equal(5, Value(Assert.Single(outputs)).GetProperty("s").GetDouble());
        Assert.Equal(0, e.Stats.Late);
    }

    [Fact]
    public void One_device_with_a_clock_far_ahead_does_not_close_other_devices_windows()
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" }));
        var outputs = Run(e,
        [
            Input(Rec("good", T0.AddSeconds(10), 1)),
            Input(Rec("skewed", T0.AddHours(5), 1)),
            Input(Rec("skewed", T0.AddHours(5).AddMinutes(2), 1)),
            Input(Rec("good", T0.AddSeconds(20), 1)),
        ]);
        Assert.All(outputs, o => Assert.StartsWith("r/skewed/", o.Id, StringComparison.Ordinal));
        Assert.Equal(0, e.Stats.Late);
        outputs = Run(e, [Input(Rec("good", T0.AddSeconds(61), 1))]);
        Assert.Equal(2, Value(Assert.Single(outputs)).GetProperty("count").GetInt64());
    }

    [Fact]
    public void Records_too_far_ahead_of_the_log_time_are_clamped_or_sent_aside()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.Time.MaxFutureSkew = TimeSpan.FromMinutes(5);
        var e = RuleEvaluatorFactory.Create(rule);
        Run(e, [Input(Rec("a", T0.AddDays(1), 1), logTime: T0)]);
        Assert.Equal(1, e.Stats.Clamped);
        var o = Assert.Single(Flush(e));
        // Clamped to log time + 5 min, so it lands in the 10:05 window.
        Assert.Equal(T0.AddMinutes(5), Value(o).GetProperty("start").GetDateTimeOffset());

        rule.Time.FutureSkew = "side-topic";
        e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, [Input(Rec("a", T0.AddDays(1), 1), logTime: T0)]);
        Assert.Equal("late", Assert.Single(outputs).Topic);
        Assert.Equal(0, e.Stats.OpenWindows);
    }

    [Fact]
    public void Idle_keys_are_collected_by_processing_time_and_closing_them_makes_later_records_late()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.Time.IdleTimeout = TimeSpan.FromMinutes(2);
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = new List<RuleOutput>();
        e.OnRecord(Input(Rec("quiet", T0.AddSeconds(10), 1)), TimeSpan.FromMinutes(1), outputs);
        e.OnRecord(Input(Rec("busy", T0.AddSeconds(10), 1)), TimeSpan.FromMinutes(2), outputs);
        Assert.Empty(e.CollectIdleKeys(TimeSpan.FromMinutes(2.5)));
        Assert.Equal(["quiet"], e.CollectIdleKeys(TimeSpan.FromMinutes(3)));
        e.CloseKeys(["quiet"], outputs);
        Assert.Equal($"r/quiet/{T0.ToUnixTimeMilliseconds()}/0", Assert.Single(outputs).Id);
        Assert.Empty(e.CollectIdleKeys(TimeSpan.FromMinutes(3.5)));
        outputs.Clear();
        e.OnRecord(Input(Rec("quiet", T0.AddSeconds(20), 1)), TimeSpan.FromMinutes(4), outputs);
        Assert.Empty(outputs);
        Assert.Equal(1, e.Stats.Late);
    }
}
