using System.Text;
using System.Text.Json;
using EdgeStream.Log;

namespace EdgeStream.Host.Tests;

public sealed class DumpVerbTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 22, 33, 21, 123, TimeSpan.Zero);
    private readonly LogFixture _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Jsonl_prints_a_utf8_record_with_exactly_the_documented_fields()
    {
        await _log.WriteAsync("sensors", 1, store => store.AppendBatchAsync("sensors", 0,
        [
            new LogRecord(Encoding.UTF8.GetBytes("{\"t\":21.5,\"unit\":\"°C\"}"), Encoding.UTF8.GetBytes("dev-1"), T0,
                [new RecordHeader("content-type", Encoding.UTF8.GetBytes("application/json"))]),
        ]).AsTask());

        var result = await _log.RunAsync("dump", "sensors", "--format", "jsonl");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(result.Lines);
        // Non-ASCII stays readable (relaxed escaping), and the order of fields is part of the format.
        Assert.Equal(
            "{\"topic\":\"sensors\",\"partition\":0,\"offset\":0,\"timestamp\":\"2026-11-24T22:33:21.123Z\",\"key\":\"dev-1\"," +
            "\"headers\":{\"content-type\":\"application/json\"},\"value\":\"{\\\"t\\\":21.5,\\\"unit\\\":\\\"°C\\\"}\"}",
            line);
    }

    [Fact]
    public async Task Jsonl_prints_binary_key_value_and_header_as_base64_and_says_so()
    {
        byte[] binary = [0xFF, 0x00, 0xC3, 0x28];
        await _log.WriteAsync("raw", 1, store => store.AppendBatchAsync("raw", 0,
        [
            new LogRecord(binary, key: binary, timestamp: T0, headers: [new RecordHeader("sig", binary), new RecordHeader("src", Encoding.UTF8.GetBytes("i2c"))]),
            new LogRecord(Encoding.UTF8.GetBytes("plain"), timestamp: T0),
        ]).AsTask());

        var result = await _log.RunAsync("dump", "raw");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.Lines.Length);
        using var first = JsonDocument.Parse(result.Lines[0]);
        var r = first.RootElement;
        Assert.Equal(["topic", "partition", "offset", "timestamp", "key", "keyEncoding", "headers", "headerEncoding", "value", "valueEncoding"],
            r.EnumerateObject().Select(p => p.Name));
        Assert.Equal(binary, r.GetProperty("key").GetBytesFromBase64());
        Assert.Equal("base64", r.GetProperty("keyEncoding").GetString());
        Assert.Equal(binary, r.GetProperty("value").GetBytesFromBase64());
        Assert.Equal("base64", r.GetProperty("valueEncoding").GetString());
        Assert.Equal(binary, r.GetProperty("headers").GetProperty("sig").GetBytesFromBase64());
        Assert.Equal("i2c", r.GetProperty("headers").GetProperty("src").GetString());
        Assert.Equal("base64", r.GetProperty("headerEncoding").GetProperty("sig").GetString());
        Assert.False(r.GetProperty("headerEncoding").TryGetProperty("src", out _));

        using var second = JsonDocument.Parse(result.Lines[1]);
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("key").ValueKind);
        Assert.Equal("plain", second.RootElement.GetProperty("value").GetString());
        Assert.Empty(second.RootElement.GetProperty("headers").EnumerateObject());
        Assert.Equal(["topic", "partition", "offset", "timestamp", "key", "headers", "value"],
            second.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task From_time_starts_at_the_first_record_at_or_after_it_in_each_partition()
    {
        await _log.WriteAsync("t", 2, async store =>
        {
            for (var p = 0; p < 2; p++)
            {
                await store.AppendBatchAsync("t", p, [.. Enumerable.Range(0, 10).Select(i => Record($"p{p}-{i}", T0.AddSeconds(i)))]);
            }
        });

        var result = await _log.RunAsync("dump", "t", "--from-time", "2026-11-24T22:33:28.123Z");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["p0-7", "p0-8", "p0-9", "p1-7", "p1-8", "p1-9"], Values(result));
        Assert.Equal("2026-11-24T22:33:28.123Z", Json(result.Lines[0]).GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task From_time_without_an_offset_is_taken_as_utc()
    {
        await _log.WriteAsync("t", 1, store => store.AppendBatchAsync("t", 0, [.. Enumerable.Range(0, 5).Select(i => Record($"v{i}", T0.AddSeconds(i)))]).AsTask());

        var result = await _log.RunAsync("dump", "t", "--from-time", "2026-11-24T22:33:24.123");

        Assert.Equal(["v3", "v4"], Values(result));
    }

    [Fact]
    public async Task Count_limits_the_total_and_partitions_come_in_order()
    {
        await _log.WriteAsync("c", 3, async store =>
        {
            for (var p = 2; p >= 0; p--)
            {
                await store.AppendBatchAsync("c", p, [Record($"p{p}-0", T0), Record($"p{p}-1", T0)]);
            }
        });

        var all = await _log.RunAsync("dump", "c");
        var limited = await _log.RunAsync("dump", "c", "--count", "3");
        var onePartition = await _log.RunAsync("dump", "c", "--partition", "1", "--from-offset", "1");

        Assert.Equal(["p0-0", "p0-1", "p1-0", "p1-1", "p2-0", "p2-1"], Values(all));
        Assert.Equal(["p0-0", "p0-1", "p1-0"], Values(limited));
        Assert.Equal(["p1-1"], Values(onePartition));
        Assert.Equal(1, Json(onePartition.Lines[0]).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Text_format_prints_one_line_per_record_with_position_key_and_value()
    {
        await _log.WriteAsync("x", 1, store => store.AppendBatchAsync("x", 0,
            [new LogRecord(Encoding.UTF8.GetBytes("line1\nline2"), Encoding.UTF8.GetBytes("k"), T0)]).AsTask());

        var result = await _log.RunAsync("dump", "x", "--format", "text");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("2026-11-24T22:33:21.123Z x/0@0 key=k | line1\\nline2", Assert.Single(result.Lines));
    }

    [Theory]
    [InlineData("--from-offset", "abc")]
    [InlineData("--count", "many")]
    public async Task Rejects_a_number_option_that_is_not_a_number_as_a_usage_error(string option, string value)
    {
        await _log.WriteAsync("x", 1, store => store.AppendBatchAsync("x", 0, [Record("v", T0)]).AsTask());

        var result = await _log.RunAsync("dump", "x", option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"Cannot parse argument '{value}' for option '{option}'", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Lines, l => l.StartsWith('{'));
    }

    [Fact]
    public async Task Rejects_from_offset_together_with_from_time()
    {
        await _log.WriteAsync("x", 1, store => store.AppendBatchAsync("x", 0, [Record("v", T0)]).AsTask());

        var result = await _log.RunAsync("dump", "x", "--from-offset", "0", "--from-time", "2026-01-01T00:00:00Z");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--from-offset and --from-time", result.Error, StringComparison.Ordinal);
        // System.CommandLine prints usage on a parse error; no record is printed.
        Assert.DoesNotContain(result.Lines, l => l.StartsWith('{'));
    }

    [Fact]
    public async Task Unknown_topic_or_partition_exits_2_with_a_message()
    {
        await _log.WriteAsync("x", 2, store => store.AppendBatchAsync("x", 0, [Record("v", T0)]).AsTask());

        var topic = await _log.RunAsync("dump", "nope");
        var partition = await _log.RunAsync("dump", "x", "--partition", "2");

        Assert.Equal(2, topic.ExitCode);
        Assert.Contains("no topic 'nope'", topic.Error, StringComparison.Ordinal);
        Assert.Equal(2, partition.ExitCode);
        Assert.Contains("partitions 0..1", partition.Error, StringComparison.Ordinal);
    }

    internal static LogRecord Record(string value, DateTimeOffset time) => new(Encoding.UTF8.GetBytes(value), timestamp: time);

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement.Clone();

    private static string?[] Values(VerbResult result) => [.. result.Lines.Select(l => Json(l).GetProperty("value").GetString())];
}
