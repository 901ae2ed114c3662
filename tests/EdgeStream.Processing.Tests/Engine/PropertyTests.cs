using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Sketch;
using FsCheck.Xunit;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class PropertyTests
{
    private static List<(string Key, long T, double V)> Records(byte[] keys, ushort[] steps, short[] values)
    {
        int n = Math.Min(keys.Length, Math.Min(steps.Length, values.Length));
        var list = new List<(string, long, double)>(n);
        long t = T0.ToUnixTimeMilliseconds();
        for (int i = 0; i < n; i++)
        {
            t += steps[i] * 7;
            list.Add(($"k{keys[i] % 5}", t, values[i] / 10.0));
        }
        return list;
    }

    [Property(MaxTest = 60)]
    public void Tumbling_and_hopping_aggregates_equal_a_naive_recomputation(byte[] keys, ushort[] steps, short[] values, bool hopping)
    {
        var records = Records(keys, steps, values);
        var rule = Tumbling(TimeSpan.FromSeconds(90), new()
        {
            ["sum"] = "sum(/v)",
            ["min"] = "min(/v)",
            ["max"] = "max(/v)",
            ["first"] = "first(/v)",
            ["last"] = "last(/v)",
            ["twa"] = "twa(/v)",
            ["p90"] = "quantile(/v, 0.9)",
        });
        long size = 90_000, hop = hopping ? 30_000 : size;
        if (hopping)
        {
            rule.Window = new WindowOptions { Type = "hopping", Size = TimeSpan.FromSeconds(90), Hop = TimeSpan.FromSeconds(30) };
        }
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, records.Select(r => Input(Rec(r.Key, DateTimeOffset.FromUnixTimeMilliseconds(r.T), r.V))));
        outputs.AddRange(Flush(e));

        var expected = new Dictionary<string, List<(long T, double V)>>();
        foreach (var (key, t, v) in records)
        {
            for (long s = Math.DivRem(t, hop).Quotient * hop; s > t - size; s -= hop)
            {
                string id = $"r/{key}/{s}/0";
                if (!expected.TryGetValue(id, out var list))
                {
                    expected[id] = list = [];
                }
                list.Add((t, v));
            }
        }
        Assert.Equal(expected.Keys.Order(), outputs.Select(o => o.Id).Order());
        foreach (var o in outputs)
        {
            var xs = expected[o.Id];
            var j = Value(o);
            Assert.Equal(xs.Count, j.GetProperty("count").GetInt64());
            double sum = 0;
            foreach (var x in xs)
            {
                sum += x.V;
            }
            Assert.Equal(sum, j.GetProperty("sum").GetDouble());
            Assert.Equal(xs.Min(x => x.V), j.GetProperty("min").GetDouble());
            Assert.Equal(xs.Max(x => x.V), j.GetProperty("max").GetDouble());
            Assert.Equal(xs[0].V, j.GetProperty("first").GetDouble());
            Assert.Equal(xs[^1].V, j.GetProperty("last").GetDouble());
            double area = 0;
            for (int i = 1; i < xs.Count; i++)
            {
                area += (xs[i].V + xs[i - 1].V) / 2 * ((xs[i].T - xs[i - 1].T) / 1000.0);
            }
            double span = (xs[^1].T - xs[0].T) / 1000.0;
            Assert.Equal(span == 0 ? xs[0].V : area / span, j.GetProperty("twa").GetDouble(), 9);
            // Windows (and their sketches) are reused once emitted: a reused sketch must start empty.
            var sorted = xs.Select(x => x.V).Order().ToList();
            double exact = sorted[(int)Math.Floor(0.9 * (sorted.Count - 1))];
            Assert.InRange(j.GetProperty("p90").GetDouble(), exact - (0.01 * Math.Abs(exact)) - 1e-9, exact + (0.01 * Math.Abs(exact)) + 1e-9);
        }
    }

    [Property(MaxTest = 60)]
    public void Under_revise_the_last_revision_of_every_window_equals_a_naive_recomputation_whatever_the_order(byte[] keys, ushort[] times, short[] values)
    {
        int n = Math.Min(keys.Length, Math.Min(times.Length, values.Length));
        long t0 = T0.ToUnixTimeMilliseconds();
        // Arbitrary order: times are not sorted, so many records are late for windows already emitted.
        var records = Enumerable.Range(0, n).Select(i => (Key: $"k{keys[i] % 3}", T: t0 + (times[i] * 7919L % 2_400_000), V: (double)values[i])).ToList();
        var rule = Tumbling(TimeSpan.FromSeconds(60), new() { ["sum"] = "sum(/v)", ["min"] = "min(/v)", ["max"] = "max(/v)", ["first"] = "first(/v)" }, "revise");
        rule.Time.ReviseHorizon = TimeSpan.FromDays(30);
        var e = RuleEvaluatorFactory.Create(rule);
        var outputs = Run(e, records.Select(r => Input(Rec(r.Key, DateTimeOffset.FromUnixTimeMilliseconds(r.T), r.V))));
        outputs.AddRange(Flush(e));
        var latest = outputs
            .Select(o => (Value: Value(o), Id: o.Id))
            .GroupBy(o => o.Id[..o.Id.LastIndexOf('/')])
            .ToDictionary(g => g.Key, g => g.MaxBy(o => o.Value.GetProperty("revision").GetInt32()).Value);
        var expected = records.GroupBy(r => $"r/{r.Key}/{t0 + ((r.T - t0) / 60_000 * 60_000)}").ToList();
        Assert.Equal(expected.Select(g => g.Key).Order(), latest.Keys.Order());
        foreach (var g in expected)
        {
            var v = latest[g.Key];
            Assert.Equal(g.Count(), v.GetProperty("count").GetInt64());
            Assert.Equal(g.Sum(r => r.V), v.GetProperty("sum").GetDouble());
            Assert.Equal(g.Min(r => r.V), v.GetProperty("min").GetDouble());
            Assert.Equal(g.Max(r => r.V), v.GetProperty("max").GetDouble());
            Assert.Equal(g.First(r => r.T == g.Min(x => x.T)).V, v.GetProperty("first").GetDouble());
        }
        // Every window is kept for revision (the horizon is long).
        Assert.Equal(latest.Count, e.Stats.OpenWindows);
    }

    [Property(MaxTest = 60)]
    public void Welford_variance_equals_the_two_pass_formula(short[] values)
    {
        if (values.Length < 2)
        {
            return;
        }
        var rule = Tumbling(TimeSpan.FromDays(1), new() { ["var"] = "variance(/v)", ["mean"] = "mean(/v)" });
        var e = RuleEvaluatorFactory.Create(rule);
        Run(e, values.Select((v, i) => Input(Rec("a", T0.AddSeconds(i), v))));
        var j = Value(Assert.Single(Flush(e)));
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        Assert.Equal(variance, j.GetProperty("var").GetDouble(), Math.Max(1e-6, variance * 1e-9));
    }

    [Property(MaxTest = 100)]
    public void DDSketch_quantiles_are_within_the_relative_accuracy_and_merging_equals_one_sketch(int[] raw, byte qByte)
    {
        if (raw.Length == 0)
        {
            return;
        }
        double q = qByte / 255.0;
        var values = raw.Select(x => x / 7.0).ToArray();
        var one = new DDSketch(0.01);
        var a = new DDSketch(0.01);
        var b = new DDSketch(0.01);
        for (int i = 0; i < values.Length; i++)
        {
            one.Add(values[i]);
            (i % 2 == 0 ? a : b).Add(values[i]);
        }
        a.Merge(b);
        var sorted = values.Order().ToArray();
        double exact = sorted[(int)Math.Floor(q * (sorted.Length - 1))];
        double estimate = one.Quantile(q);
        Assert.True(Math.Abs(estimate - exact) <= (0.01 * Math.Abs(exact)) + 1e-9, $"q={q} exact={exact} estimate={estimate}");
        Assert.Equal(estimate, a.Quantile(q));
    }

    [Fact]
    public void DDSketch_stays_bounded_across_a_huge_range_and_keeps_the_upper_quantiles()
    {
        var s = new DDSketch(0.01);
        for (int e = -300; e <= 300; e++)
        {
            s.Add(Math.Pow(10, e / 2.0));
        }
        Assert.True(s.BucketCount <= DDSketch.MaxBuckets);
        double p99 = s.Quantile(0.99);
        double exact = Math.Pow(10, ((int)Math.Floor(0.99 * 600) - 300) / 2.0);
        Assert.True(Math.Abs(p99 - exact) <= 0.01 * exact, $"{p99} vs {exact}");
    }
}
