using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeStream.Host.RuleVerbs;
using EdgeStream.Log;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Host.Tests;

/// <summary><c>edgestream rules backfill</c> (and <c>rules test</c> beside it) run in-process over a real log.</summary>
public sealed class RuleBackfillVerbTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private const string Rules = """
        { "Processing": { "Rules": [
          { "Id": "air", "From": { "Topic": "sensors" }, "Time": { "Field": "/ts" },
            "Window": { "Type": "tumbling", "Size": "00:01:00" }, "GroupBy": [ "/sensor" ],
            "Aggregate": { "t": "mean(/t)", "n": "count()" }, "To": { "Topic": "agg.air" } },
          { "Id": "hot", "From": { "Topic": "agg.air" }, "Time": { "Field": "/end" }, "GroupBy": [ "/sensor" ],
            "Alert": { "Value": "/t", "Raise": 30, "Clear": 25, "Topic": "alerts" } }
        ] } }
        """;

    private readonly LogFixture _log = new();
    private readonly string _config;

    public RuleBackfillVerbTests()
    {
        _config = Path.Combine(_log.DataDirectory, "rules.json");
        File.WriteAllText(_config, Rules);
    }

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Backfill_over_a_stored_range_writes_exactly_the_windows_rules_test_prints_for_it()
    {
        await FillAsync();
        string[] range = ["--from", "2026-05-01T10:01:00Z", "--to", "2026-05-01T10:04:00Z"];

        var test = await RunAsync(["rules", "test", "air", "--config", _config, .. range]);
        var backfill = await RunAsync(["rules", "backfill", "air", "--to-topic", "agg.air.backfill", "--config", _config, .. range]);

        Assert.True(test.ExitCode == 0, test.Error);
        Assert.True(backfill.ExitCode == 0, backfill.Error);
        var printed = test.Lines.Select(l =>
        {
            var e = JsonDocument.Parse(l).RootElement;
            return (Id: e.GetProperty("id").GetString()!, Key: e.GetProperty("key").GetString()!,
                Time: DateTimeOffset.Parse(e.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture), Value: e.GetProperty("value").GetRawText());
        }).OrderBy(o => o.Id, StringComparer.Ordinal).ToList();
        // Records 10:01:00–10:03:40 of each sensor: the 10:01 and 10:02 windows close on event time; 10:03 stays open.
        Assert.Equal(
            [$"air/a/{Ms(1)}/0", $"air/a/{Ms(2)}/0", $"air/b/{Ms(1)}/0", $"air/b/{Ms(2)}/0"],
            printed.Select(o => o.Id));
        Assert.All(printed, o => Assert.Contains("\"n\":3", o.Value, StringComparison.Ordinal));

        var written = (await StoredAsync("agg.air.backfill")).Select(r => (
            Id: Header(r, "es.id"), Key: Encoding.UTF8.GetString(r.Key!.Value.Span), Time: r.Timestamp,
            Value: JsonDocument.Parse(r.Value).RootElement.GetRawText())).OrderBy(o => o.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(printed, written);
        Assert.All(await StoredAsync("agg.air.backfill"), r =>
        {
            Assert.Equal("air", Header(r, "es.rule"));
            Assert.Equal("true", Header(r, "es.backfill"));
        });
        Assert.Contains("4 outputs written to agg.air.backfill", backfill.Output, StringComparison.Ordinal);
        Assert.Null(await TopicAsync("agg.air"));
    }

    [Fact]
    public async Task Backfill_refuses_a_live_output_topic_or_a_topic_with_records_unless_forced_and_never_an_input_topic()
    {
        await FillAsync();
        string[] rule = ["rules", "backfill", "air", "--config", _config];

        var live = await RunAsync([.. rule, "--to-topic", "agg.air"]);
        var otherRulesLive = await RunAsync([.. rule, "--to-topic", "alerts"]);
        var input = await RunAsync([.. rule, "--to-topic", "sensors", "--force"]);
        var first = await RunAsync([.. rule, "--to-topic", "bf"]);
        var second = await RunAsync([.. rule, "--to-topic", "bf"]);
        var forced = await RunAsync([.. rule, "--to-topic", "bf", "--force"]);

        Assert.Equal(2, live.ExitCode);
        Assert.Contains("rule 'air' writes 'agg.air' live", live.Error, StringComparison.Ordinal);
        Assert.Equal(2, otherRulesLive.ExitCode);
        Assert.Contains("rule 'hot' writes 'alerts' live", otherRulesLive.Error, StringComparison.Ordinal);
        Assert.Equal(2, input.ExitCode);
        Assert.Contains("input topic", input.Error, StringComparison.Ordinal);
        Assert.Null(await TopicAsync("agg.air"));
        Assert.Equal(2 * 30, (await StoredAsync("sensors")).Count);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("already holds 18 records", second.Error, StringComparison.Ordinal);
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal(36, (await StoredAsync("bf")).Count);

        var forcedLive = await RunAsync([.. rule, "--to-topic", "agg.air", "--force"]);
        Assert.Equal(0, forcedLive.ExitCode);
        Assert.Contains("--force", forcedLive.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from", "yesterday", "--from: 'yesterday' is neither an offset nor an ISO-8601 time")]
    [InlineData("--to", "soon", "--to: 'soon' is neither an offset nor an ISO-8601 time")]
    [InlineData("--from", "20", "--from 20 is after --to 10")]
    [InlineData("--to-topic", "../etc", "--to-topic:")]
    [InlineData("--config", "missing.json", "no configuration file")]
    [InlineData("--rule", "nope", "no rule 'nope'")]
    [InlineData("--to-topic", "", "--to-topic")]
    public async Task Bad_arguments_exit_2_with_a_message_naming_what_is_wrong(string option, string value, string message)
    {
        await FillAsync();
        var args = new List<string> { "rules", "backfill", option == "--rule" ? value : "air", "--config", option == "--config" ? value : _config };
        if (option != "--to-topic" || value.Length > 0)
        {
            args.AddRange(["--to-topic", option == "--to-topic" ? value : "bf"]);
        }
        args.AddRange(option switch
        {
            "--from" => value == "20" ? ["--from", value, "--to", "10"] : ["--from", value],
            "--to" => ["--to", value],
            _ => [],
        });

        var result = await RunAsync([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Null(await TopicAsync("bf"));
    }

    [Fact]
    public void Progress_stays_quiet_for_a_second_then_redraws_once_a_second_on_a_terminal_and_prints_a_line_every_ten_seconds_otherwise()
    {
        var time = new FakeTimeProvider(T0);
        var terminal = new StringWriter();
        var redirected = new StringWriter();
        var onTerminal = new ReplayProgress(terminal, 1_000, interactive: true, time);
        var inLog = new ReplayProgress(redirected, 1_000, interactive: false, time);
        void Report(long n)
        {
            onTerminal.Report(n);
            inLog.Report(n);
        }

        Report(10);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Report(20);
        Assert.Equal("", terminal.ToString());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Report(100);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Report(150);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Report(200);
        Assert.Equal("\r  100 / 1,000 records (10%, 100/s)   \r  200 / 1,000 records (20%, 100/s)   ", terminal.ToString());
        Assert.Equal("", redirected.ToString());

        time.Advance(TimeSpan.FromSeconds(8));
        Report(1_000);
        Assert.Equal("  1,000 / 1,000 records (100%, 100/s)" + Environment.NewLine, redirected.ToString());
        onTerminal.Done(1_000);
        inLog.Done(1_000);
        Assert.EndsWith("\r  1,000 / 1,000 records (100%, 100/s)   " + Environment.NewLine, terminal.ToString(), StringComparison.Ordinal);

        var quiet = new StringWriter();
        var shortRun = new ReplayProgress(quiet, 5, interactive: true, time);
        shortRun.Report(5);
        shortRun.Done(5);
        Assert.Equal("", quiet.ToString());
    }

    private static long Ms(int minute) => T0.AddMinutes(minute).ToUnixTimeMilliseconds();

    private static string Header(StoredRecord r, string name) => Encoding.UTF8.GetString(r.GetHeader(name)!.Value.Span);

    /// <summary>Two sensors, one reading every 20 s for ten minutes, log time = event time, two partitions.</summary>
    private Task FillAsync() => _log.WriteAsync("sensors", 2, async store =>
    {
        for (var i = 0; i < 30; i++)
        {
            foreach (var sensor in new[] { "a", "b" })
            {
                var ts = T0.AddSeconds(20 * i);
                var value = string.Create(CultureInfo.InvariantCulture, $$"""{"sensor":"{{sensor}}","ts":"{{ts:yyyy-MM-ddTHH:mm:ss.fffZ}}","t":{{20 + i}}}""");
                await store.AppendAsync("sensors", new LogRecord(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(sensor), ts));
            }
        }
    });

    private async Task<VerbResult> RunAsync(string[] args)
    {
        var root = new RootCommand { RulesCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = root.Parse([.. args, "--data", _log.DataDirectory]);
        var code = UsageExitCode.For(parse, await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }));
        return new VerbResult(code, output.ToString(), error.ToString());
    }

    private async Task<TopicInfo?> TopicAsync(string topic)
    {
        await using var store = await Open();
        return store.GetTopic(topic) is { } info && info.Partitions.Any(p => p.NextOffset > 0) ? info : null;
    }

    private async Task<List<StoredRecord>> StoredAsync(string topic)
    {
        await using var store = await Open();
        var all = new List<StoredRecord>();
        foreach (var p in store.GetTopic(topic)?.Partitions ?? [])
        {
            for (long next = p.StartOffset; next < p.DurableOffset;)
            {
                var read = store.Read(topic, p.Partition, next, new ReadLimits(1000, 1 << 22));
                all.AddRange(read.Records);
                if (read.NextOffset <= next)
                {
                    break;
                }
                next = read.NextOffset;
            }
        }
        return all;
    }

    private Task<LogStore> Open() => LogStore.OpenAsync(new LogOptions
    {
        DataDirectory = _log.DataDirectory, CommitPolicy = "group", AutoCreateTopics = false, MinFreeBytes = 0, MinFreePercent = 0,
        RetentionCheckInterval = TimeSpan.FromDays(49),
    });
}
