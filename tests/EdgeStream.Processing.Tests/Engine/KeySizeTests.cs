using System.Text;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using Microsoft.Extensions.Configuration;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

/// <summary>The MaxKeyBytes bound: a group key is held only up to a size, and the reported state size counts the keys.
/// These tests use the default bound (256 UTF-8 bytes) or set it through configuration.</summary>
public sealed class KeySizeTests
{
    private static RuleOptions Counting() => Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });

    [Fact]
    public void A_record_whose_group_key_is_longer_than_max_key_bytes_is_skipped_and_counted_while_other_keys_aggregate()
    {
        var e = RuleEvaluatorFactory.Create(Counting());
        var outputs = Run(e,
        [
            Input(Rec("a", T0, 1)),
            Input(Rec(new string('x', 257), T0, 1)),
            Input(Rec("a", T0.AddSeconds(1), 1)),
            Input(Rec(new string('x', 100_000), T0, 1)),
            Input(Rec(new string('y', 256), T0, 1)),
        ]);
        outputs.AddRange(Flush(e));

        var keys = outputs.Select(o => Value(o).GetProperty("key").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["a", new string('y', 256)], keys);
        Assert.Equal(2, Value(outputs.Single(o => Value(o).GetProperty("key").GetString() == "a")).GetProperty("n").GetInt64());
        var stats = e.Stats;
        Assert.Equal(5, stats.RecordsIn);
        Assert.Equal(2, stats.Skipped);
        Assert.Equal(2, stats.SkippedKeyTooLong);
        Assert.Equal(2, stats.Keys);
    }

    [Fact]
    public void The_key_size_is_counted_in_utf8_bytes_of_the_combined_key_of_all_group_fields()
    {
        var rule = Counting();
        rule.GroupBy = ["/sensor", "/site"];
        var e = RuleEvaluatorFactory.Create(rule);
        string fits = new('é', 100);      // 100 characters, 200 UTF-8 bytes
        string tooLong = new('é', 129);   // 129 characters, 258 UTF-8 bytes
        Run(e,
        [
            Input(Rec(fits, T0, 1, ",\"site\":\"n\"")),
            Input(Rec(tooLong, T0, 1, ",\"site\":\"n\"")),
            // Each field alone is short enough; joined with '|' they are 200 + 1 + 60 bytes.
            Input(Rec(fits, T0, 1, $",\"site\":\"{new string('s', 60)}\"")),
        ]);
        Assert.Equal(2, e.Stats.Skipped);
        Assert.Equal(1, e.Stats.Keys);
    }

    [Fact]
    public void Max_key_bytes_out_of_range_is_refused_at_start_naming_its_key()
    {
        const string json = """
            { "Processing": { "Rules": [
              { "Id": "r", "From": { "Topic": "sensors" }, "Window": { "Type": "tumbling", "Size": "00:01:00" },
                "GroupBy": [ "/sensor" ], "Aggregate": { "n": "count()" }, "To": { "Topic": "agg" }, "MaxKeyBytes": 0 },
              { "Id": "s", "From": { "Topic": "sensors" }, "Window": { "Type": "tumbling", "Size": "00:01:00" },
                "GroupBy": [ "/sensor" ], "Aggregate": { "n": "count()" }, "To": { "Topic": "agg" }, "MaxKeyBytes": 1000000 }
            ] } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var options = new ProcessingOptions();
        configuration.GetSection(ProcessingOptions.SectionName).Bind(options);

        var result = new ProcessingOptionsValidation().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Processing:Rules:0:MaxKeyBytes: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Processing:Rules:1:MaxKeyBytes: ", StringComparison.Ordinal));
        Assert.Equal(2, failures.Count);
    }

    [Fact]
    public void A_larger_max_key_bytes_from_configuration_lets_longer_keys_in()
    {
        var rule = Counting();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("MaxKeyBytes", "2048")]).Build();
        configuration.Bind(rule);
        var e = RuleEvaluatorFactory.Create(rule);
        Run(e, [Input(Rec(new string('x', 2048), T0, 1)), Input(Rec(new string('x', 2049), T0, 1))]);
        Assert.Equal(1, e.Stats.Keys);
        Assert.Equal(1, e.Stats.Skipped);
    }

    [Fact]
    public void The_reported_state_size_grows_with_the_size_of_the_keys_held_and_survives_a_snapshot()
    {
        var shortKeys = RuleEvaluatorFactory.Create(Counting());
        var longKeys = RuleEvaluatorFactory.Create(Counting());
        Run(shortKeys, Enumerable.Range(0, 10).Select(i => Input(Rec($"{i:D3}", T0, 1))));
        Run(longKeys, Enumerable.Range(0, 10).Select(i => Input(Rec($"{i:D3}" + new string('x', 197), T0, 1))));

        // Ten keys, each 197 characters longer, held as the key's name and its group value (UTF-16 in memory).
        Assert.Equal(10 * 2 * 2 * 197, longKeys.Stats.StateBytes - shortKeys.Stats.StateBytes);

        var restored = RuleEvaluatorFactory.Create(Counting());
        restored.RestoreSnapshot(Snapshot(longKeys));
        Assert.Equal(longKeys.Stats.StateBytes, restored.Stats.StateBytes);
    }

    [Fact]
    public void The_reported_state_size_counts_the_tombstones_of_evicted_keys()
    {
        var rule = Counting();
        rule.MaxKeys = 2;
        var plain = RuleEvaluatorFactory.Create(rule);
        var evicted = RuleEvaluatorFactory.Create(rule);
        Run(plain, [Input(Rec("a", T0, 1)), Input(Rec("b", T0, 1))]);
        // The long key is evicted by b: the same keys are held, plus the long key's tombstone.
        Run(evicted, [Input(Rec(new string('l', 200), T0, 1)), Input(Rec("a", T0, 1)), Input(Rec("b", T0, 1))]);
        Assert.Equal(1, evicted.Stats.EvictedKeys);
        Assert.True(evicted.Stats.StateBytes - plain.Stats.StateBytes >= 2 * 200, $"{evicted.Stats.StateBytes} with the tombstone, {plain.Stats.StateBytes} without");

        var restored = RuleEvaluatorFactory.Create(rule);
        restored.RestoreSnapshot(Snapshot(evicted));
        Assert.Equal(evicted.Stats.StateBytes, restored.Stats.StateBytes);
    }
}
