using EdgeStream.Log;

namespace EdgeStream.Host.Tests;

public sealed class InspectVerbTests : IDisposable
{
    private readonly LogFixture _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Topics_lists_every_partition_with_start_next_and_size()
    {
        await _log.WriteAsync("alpha", 2, async store =>
        {
            await store.AppendBatchAsync("alpha", 0, [.. Enumerable.Range(0, 5).Select(i => DumpVerbTests.Record("a", DateTimeOffset.UnixEpoch))]);
            await store.AppendBatchAsync("alpha", 1, [DumpVerbTests.Record("b", DateTimeOffset.UnixEpoch)]);
        });

        var result = await _log.RunAsync("topics");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("TOPIC", result.Lines[0], StringComparison.Ordinal);
        var rows = result.Lines.Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(["alpha", "0", "0", "5", "5"], rows[0][..5]);
        Assert.Equal(["alpha", "1", "0", "1", "1"], rows[1][..5]);
        Assert.True(long.Parse(rows[0][5], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Describe_shows_settings_and_durable_offset_and_segments_per_partition()
    {
        await _log.WriteAsync("beta", 3, store => store.AppendBatchAsync("beta", 2, [DumpVerbTests.Record("x", DateTimeOffset.UnixEpoch)]).AsTask());

        var result = await _log.RunAsync("describe", "beta");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Topic: beta", result.Lines);
        Assert.Contains("Partitions: 3", result.Lines);
        var header = Array.FindIndex(result.Lines, l => l.StartsWith("PARTITION", StringComparison.Ordinal));
        Assert.Equal(["PARTITION", "START", "NEXT", "DURABLE", "RECORDS", "BYTES", "SEGMENTS"],
            result.Lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var last = result.Lines[header + 4].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["2", "0", "1", "1", "1"], last[..5]);
        Assert.Equal("1", last[6]);
    }

    [Fact]
    public async Task Cursors_shows_position_and_lag_per_partition()
    {
        await _log.WriteAsync("gamma", 2, async store =>
        {
            await store.AppendBatchAsync("gamma", 0, [.. Enumerable.Range(0, 10).Select(i => DumpVerbTests.Record("v", DateTimeOffset.UnixEpoch))]);
            await store.AppendBatchAsync("gamma", 1, [.. Enumerable.Range(0, 4).Select(i => DumpVerbTests.Record("v", DateTimeOffset.UnixEpoch))]);
            await store.FlushAsync();
            await store.CommitCursorAsync("kafka", "gamma", 0, 7);
            await store.CommitCursorAsync("kafka", "gamma", 1, 4);
        });

        var result = await _log.RunAsync("cursors");

        Assert.Equal(0, result.ExitCode);
        var rows = result.Lines.Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal([["kafka", "gamma", "0", "7", "10", "3"], ["kafka", "gamma", "1", "4", "4", "0"]], rows);
    }

    [Fact]
    public async Task A_missing_data_directory_exits_2_and_is_not_created()
    {
        var missing = Path.Combine(_log.DataDirectory, "typo");
        var root = new System.CommandLine.RootCommand { EdgeStream.Host.LogVerbs.LogCommand.Create() };
        var error = new StringWriter();

        var code = await root.Parse(["log", "topics", "--data", missing]).InvokeAsync(
            new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, code);
        Assert.Contains("no log in", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task Tail_follows_every_partition_from_an_offset_until_cancelled()
    {
        await _log.WriteAsync("delta", 2, async store =>
        {
            await store.AppendBatchAsync("delta", 0, [DumpVerbTests.Record("a0", DateTimeOffset.UnixEpoch), DumpVerbTests.Record("a1", DateTimeOffset.UnixEpoch)]);
            await store.AppendBatchAsync("delta", 1, [DumpVerbTests.Record("b0", DateTimeOffset.UnixEpoch)]);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var result = await _log.RunAsync(cts.Token, "tail", "delta", "--from-offset", "0", "--format", "jsonl");

        // Tail only ends by cancellation; it then exits cleanly with everything it saw.
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["a0", "a1", "b0"], result.Lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("value").GetString()).Order());
    }

    [Fact]
    public async Task Tail_of_a_service_that_does_not_answer_says_so_in_one_line_instead_of_crashing()
    {
        var port = Ports.Free(); // nothing listens there

        var result = await _log.RunAsync("tail", "live", "--url", $"http://127.0.0.1:{port}");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"edgestream: cannot reach http://127.0.0.1:{port}/: Connection refused (127.0.0.1:{port})", result.Error.Trim());
    }

    [Fact]
    public async Task Text_of_a_binary_value_is_marked_base64()
    {
        await _log.WriteAsync("bin", 1, store => store.AppendBatchAsync("bin", 0, [new LogRecord(new byte[] { 0xFF, 0xFE }, timestamp: DateTimeOffset.UnixEpoch)]).AsTask());

        var result = await _log.RunAsync("dump", "bin", "--format", "text");

        Assert.EndsWith("key=- | base64:" + Convert.ToBase64String([0xFF, 0xFE]), Assert.Single(result.Lines), StringComparison.Ordinal);
        Assert.Contains("bin/0@0", result.Output, StringComparison.Ordinal);
    }
}
