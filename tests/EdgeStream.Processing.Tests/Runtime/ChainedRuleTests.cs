using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeStream.Log;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.DependencyInjection;
using static EdgeStream.Processing.Tests.Runtime.RuleHarness;

namespace EdgeStream.Processing.Tests.Runtime;

/// <summary>
/// An alert on a windowed aggregate: a sliding-mean rule writes a derived topic and an alert rule reads it (rule B's
/// From = rule A's To), run by the real runtime, across restarts, whichever rule starts first.
/// </summary>
public class ChainedRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);

    // One reading a minute: 20 for minutes 0–4, 40 for 5–9, 20 for 10–14. The 5-minute sliding mean (5 readings) is
    // 20 … 24, 28, 32 (m7), 36 (m8), 40, 36, 32, 28, 24 (m13), 20: above 30 from m7, so with For 1 min raised at m8
    // (since m7); 28 at m12 is not yet at Clear (25): cleared at m13.
    private static readonly double[] Readings = [20, 20, 20, 20, 20, 40, 40, 40, 40, 40, 20, 20, 20, 20, 20];

    private static RuleOptions SlidingMean() => new()
    {
        Id = "mean-5m", From = new FromOptions { Topic = "in" }, Time = new TimeOptions { Field = "/ts" },
        Window = new WindowOptions { Type = "sliding", Size = TimeSpan.FromMinutes(5) }, GroupBy = ["/sensor"],
        Aggregate = new() { ["m"] = "mean(/t)" }, To = new ToOptions { Topic = "mean.5m" },
    };

    private static RuleOptions AlertOnMean() => new()
    {
        Id = "mean-too-high", From = new FromOptions { Topic = "mean.5m" }, Time = new TimeOptions { Field = "/end" }, GroupBy = ["/sensor"],
        Alert = new AlertOptions { Name = "mean-too-high", Value = "/m", Raise = 30, Clear = 25, For = TimeSpan.FromMinutes(1), Topic = "alerts" },
    };

    [Fact]
    public async Task An_alert_rule_reading_a_sliding_mean_rules_output_raises_and_clears_once_across_restarts_and_a_lost_state()
    {
        Assert.Empty(ProcessingOptionsValidation.ValidateRule(SlidingMean(), "a").Concat(ProcessingOptionsValidation.ValidateRule(AlertOnMean(), "b")));
        using var dir = new TempDir("proc");
        var options = LogOptionsFor(dir.Path);
        // The alert rule is listed (and starts) first, before its input topic exists.
        RuleDefinition[] rules = [ProcessingServiceCollectionExtensions.Definition(AlertOnMean()), ProcessingServiceCollectionExtensions.Definition(SlidingMean())];

        await using (var h = await StartAsync(options, FileLogStorage.Instance, Settings(dir.Path), null, rules))
        {
            await AppendAsync(h.Log, 0, 8);
            await CaughtUpAsync(h, 8);
        }
        await using (var h = await StartAsync(options, FileLogStorage.Instance, Settings(dir.Path), null, rules))
        {
            await AppendAsync(h.Log, 8, 12);
            await CaughtUpAsync(h, 12);
        }
        // Both rules lose their snapshots: they replay everything and must write nothing twice.
        Directory.Delete(Path.Combine(dir.Path, "processing"), recursive: true);
        await using (var h = await StartAsync(options, FileLogStorage.Instance, Settings(dir.Path), null, rules))
        {
            await AppendAsync(h.Log, 12, 15);
            await CaughtUpAsync(h, 15);
            await h.StopAsync();

            Assert.Equal(15, (await OutputsAsync(h.Log, "mean.5m")).Count);
            var alerts = await OutputsAsync(h.Log, "alerts");
            Assert.Equal([$"mean-too-high/s1/{Ms(8)}/raised", $"mean-too-high/s1/{Ms(13)}/cleared"], alerts.Select(Id));
            using var raised = JsonDocument.Parse(alerts[0].Value);
            Assert.Equal("raised", raised.RootElement.GetProperty("state").GetString());
            Assert.Equal(36, raised.RootElement.GetProperty("value").GetDouble());
            Assert.Equal("s1", raised.RootElement.GetProperty("sensor").GetString());
            Assert.Equal(T0.AddMinutes(7).UtcDateTime, raised.RootElement.GetProperty("since").GetDateTime());
            using var cleared = JsonDocument.Parse(alerts[1].Value);
            Assert.Equal(24, cleared.RootElement.GetProperty("value").GetDouble());
        }
    }

    private static long Ms(int minute) => T0.AddMinutes(minute).ToUnixTimeMilliseconds();

    private static async Task AppendAsync(LogStore log, int from, int to)
    {
        for (var m = from; m < to; m++)
        {
            var ts = T0.AddMinutes(m);
            var value = string.Create(CultureInfo.InvariantCulture, $$"""{"sensor":"s1","ts":"{{ts:yyyy-MM-ddTHH:mm:ssZ}}","t":{{Readings[m]}}}""");
            await log.AppendBatchAsync("in", 0, [new LogRecord(Encoding.UTF8.GetBytes(value), "s1"u8.ToArray(), ts)]);
        }
        await log.FlushAsync();
    }

    /// <summary>Until the mean rule has read <paramref name="records"/> inputs and the alert rule every mean.</summary>
    private static Task CaughtUpAsync(RuleHarness h, int records) => UntilAsync(() => Task.FromResult(
        h.Engine.GetStatus() is var s
        && s.Single(r => r.Id == "mean-5m") is { LagRecords: 0 } mean && mean.Inputs.Sum(i => i.NextOffset) == records
        && s.Single(r => r.Id == "mean-too-high") is { LagRecords: 0 } alert && alert.Inputs.Sum(i => i.NextOffset) == records), $"both rules at {records} records");
}
