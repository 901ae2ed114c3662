using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class SnapshotTests
{
    public static TheoryData<string> Kinds => ["tumbling", "hopping", "session", "count", "sliding", "revise", "per-record"];

    private static RuleOptions Rule(string kind)
    {
        var rule = Tumbling(TimeSpan.FromSeconds(40), new()
        {
            ["n"] = "count()",
            ["m"] = "mean(/v)",
            ["sd"] = "stddev(/v)",
            ["p95"] = "quantile(/v, 0.95)",
            ["r"] = "rate(/v)",
            ["twa"] = "twa(/v)",
            ["first"] = "first(/v)",
            ["gone"] = "absent_for(00:00:10)",
        }, kind == "revise" ? "revise" : "side-topic", TimeSpan.FromSeconds(5));
        rule.MaxOpenWindows = 40;
        rule.MaxKeys = 6;
        switch (kind)
        {
            case "hopping":
                rule.Window = new WindowOptions { Type = "hopping", Size = TimeSpan.FromSeconds(40), Hop = TimeSpan.FromSeconds(10), Offset = TimeSpan.FromSeconds(3) };
                break;
            case "session":
                rule.Window = new WindowOptions { Type = "session", Gap = TimeSpan.FromSeconds(8), MaxDuration = TimeSpan.FromSeconds(60) };
                break;
            case "count":
                rule.Window = new WindowOptions { Type = "count", Count = 7 };
                break;
            case "sliding":
                rule.Window = new WindowOptions { Type = "sliding", Size = TimeSpan.FromSeconds(20) };
                break;
            case "per-record":
                rule.Window = null;
                rule.Aggregate = [];
                rule.Map = new() { ["f"] = "/v * 1.8 + 32" };
                rule.Deadband = new DeadbandOptions { Fields = new() { ["/v"] = 3 }, Heartbeat = TimeSpan.FromSeconds(30) };
                rule.Alert = new AlertOptions { Value = "/v", Raise = 8, Clear = 2, For = TimeSpan.FromSeconds(4), Topic = "alerts" };
                break;
        }
        return rule;
    }

    // Seeded input with out-of-order and late records, several keys, some bad records.
    private static List<RuleInput> Inputs(int seed, int count)
    {
        var random = new Random(seed);
        var inputs = new List<RuleInput>();
        long t = 0;
        for (int i = 0; i < count; i++)
        {
            t += random.Next(0, 3000);
            long jitter = random.Next(10) == 0 ? -random.Next(0, 60_000) : 0;
            string json = random.Next(50) == 0
                ? "garbage"
                : Rec($"k{random.Next(8)}", T0.AddMilliseconds(t + jitter), Math.Round(random.NextDouble() * 10, 2));
            inputs.Add(new RuleInput("sensors", 0, i, T0.AddMilliseconds(t), null, System.Text.Encoding.UTF8.GetBytes(json)));
        }
        return inputs;
    }

    private static List<string> Render(IEnumerable<RuleOutput> outputs) =>
        outputs.Select(o => $"{o.Topic}|{o.Id}|{o.Timestamp.ToUnixTimeMilliseconds()}|{(o.Key is { } k ? Convert.ToHexString(k.Span) : "-")}|{Text(o)}").ToList();

    private static List<string> Drive(IRuleEvaluator e, List<RuleInput> inputs, int from, int to)
    {
        var outputs = new List<RuleOutput>();
        for (int i = from; i < to; i++)
        {
            e.OnRecord(inputs[i], TimeSpan.FromSeconds(i), outputs);
            if (i % 97 == 0)
            {
                // A recorded idle-close decision, replayed identically.
                e.CloseKeys(["k3", "k5"], outputs);
            }
        }
        return Render(outputs);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_restored_evaluator_continues_exactly_like_an_uninterrupted_one(string kind)
    {
        var inputs = Inputs(kind.Length * 31, 1500);
        var whole = RuleEvaluatorFactory.Create(Rule(kind));
        var expected = Drive(whole, inputs, 0, inputs.Count);
        Assert.NotEmpty(expected);

        var first = RuleEvaluatorFactory.Create(Rule(kind));
        var actual = Drive(first, inputs, 0, 700);
        var snapshot = Snapshot(first);
        var second = RuleEvaluatorFactory.Create(Rule(kind));
        second.RestoreSnapshot(snapshot);
        Assert.Equal(snapshot, Snapshot(second));
        actual.AddRange(Drive(second, inputs, 700, inputs.Count));

        Assert.Equal(expected, actual);
        Assert.Equal(whole.Stats, second.Stats);
        Assert.Equal(Snapshot(whole), Snapshot(second));
    }

    [Fact]
    public void The_same_input_always_gives_byte_identical_outputs()
    {
        var inputs = Inputs(7, 1000);
        Assert.Equal(Drive(RuleEvaluatorFactory.Create(Rule("hopping")), inputs, 0, inputs.Count), Drive(RuleEvaluatorFactory.Create(Rule("hopping")), inputs, 0, inputs.Count));
    }

    [Fact]
    public void A_snapshot_of_another_rule_definition_or_a_damaged_one_is_refused_and_changes_nothing()
    {
        var inputs = Inputs(3, 300);
        var e = RuleEvaluatorFactory.Create(Rule("tumbling"));
        Drive(e, inputs, 0, inputs.Count);
        var snapshot = Snapshot(e);

        var changed = Rule("tumbling");
        changed.Aggregate["extra"] = "max(/v)";
        var other = RuleEvaluatorFactory.Create(changed);
        Assert.Throws<InvalidDataException>(() => other.RestoreSnapshot(snapshot));

        var target = RuleEvaluatorFactory.Create(Rule("tumbling"));
        var before = Snapshot(target);
        Assert.Throws<InvalidDataException>(() => target.RestoreSnapshot(snapshot.AsSpan(0, snapshot.Length - 9)));
        var flipped = (byte[])snapshot.Clone();
        flipped[4] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => target.RestoreSnapshot(flipped));
        Assert.Equal(before, Snapshot(target));
    }
}

public sealed class RestoredIdleTests
{
    [Fact]
    public void A_restored_rule_closes_idle_keys_after_the_timeout_even_without_new_records()
    {
        var rule = Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });
        rule.Time.IdleTimeout = TimeSpan.FromMinutes(2);
        var e = RuleEvaluatorFactory.Create(rule);
        Run(e, [Input(Rec("a", T0, 1))], TimeSpan.FromHours(5));
        var restored = RuleEvaluatorFactory.Create(rule);
        restored.RestoreSnapshot(Snapshot(e));
        // The new process's clock starts near zero; the key counts as seen at the first look after the restore.
        Assert.Empty(restored.CollectIdleKeys(TimeSpan.FromSeconds(10)));
        Assert.Empty(restored.CollectIdleKeys(TimeSpan.FromMinutes(2)));
        Assert.Equal(["a"], restored.CollectIdleKeys(TimeSpan.FromMinutes(2.5)));
    }

    [Fact]
    public void A_string_with_invalid_utf8_is_a_skipped_record()
    {
        var e = RuleEvaluatorFactory.Create(Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" }));
        byte[] bad = [.. "{\"sensor\":\""u8, 0xC3, 0x28, .. "\",\"ts\":\"2026-05-01T10:00:00Z\"}"u8];
        var outputs = new List<RuleOutput>();
        e.OnRecord(new RuleInput("sensors", 0, 0, T0, null, bad), TimeSpan.Zero, outputs);
        Assert.Equal(1, e.Stats.Skipped);
    }
}
