namespace EdgeStream.Host.Tests;

public sealed class CursorDeleteVerbTests : IDisposable
{
    private readonly LogFixture _log = new();

    public void Dispose() => _log.Dispose();

    private Task FillAsync() => _log.WriteAsync("gamma", 2, async store =>
    {
        await store.AppendBatchAsync("gamma", 0, [DumpVerbTests.Record("a", DateTimeOffset.UnixEpoch)]);
        await store.AppendBatchAsync("gamma", 1, [DumpVerbTests.Record("b", DateTimeOffset.UnixEpoch)]);
        await store.FlushAsync();
        await store.CommitCursorAsync("removed-sink", "gamma", 0, 1);
        await store.CommitCursorAsync("removed-sink", "gamma", 1, 1);
        await store.CommitCursorAsync("kafka", "gamma", 0, 1);
    });

    [Fact]
    public async Task Cursors_delete_of_one_partition_removes_only_that_position_durably()
    {
        await FillAsync();

        var result = await _log.RunAsync("cursors", "delete", "removed-sink", "--topic", "gamma", "--partition", "1");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("deleted cursor removed-sink on gamma/1", result.Output, StringComparison.Ordinal);
        var listed = await _log.RunAsync("cursors");
        var rows = listed.Lines.Skip(2).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3])).ToArray();
        Assert.Equal(["kafka gamma 0", "removed-sink gamma 0"], rows);
    }

    [Fact]
    public async Task Cursors_delete_by_name_removes_every_partition_and_a_second_run_exits_1()
    {
        await FillAsync();

        var first = await _log.RunAsync("cursors", "delete", "removed-sink");
        var second = await _log.RunAsync("cursors", "delete", "removed-sink");
        var partitionWithoutTopic = await _log.RunAsync("cursors", "delete", "kafka", "--partition", "0");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(2, first.Lines.Length);
        Assert.Equal(1, second.ExitCode);
        Assert.Equal(2, partitionWithoutTopic.ExitCode);
        var listed = await _log.RunAsync("cursors");
        Assert.Single(listed.Lines.Skip(2));
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_exits_2_not_the_1_that_means_nothing_to_delete()
    {
        await FillAsync();

        var badPartition = await _log.RunAsync("cursors", "delete", "kafka", "--topic", "gamma", "--partition", "one");
        var unknownOption = await _log.RunAsync("cursors", "delete", "kafka", "--topik", "gamma");

        Assert.Equal(2, badPartition.ExitCode);
        Assert.Equal(2, unknownOption.ExitCode);
        Assert.Equal(3, (await _log.RunAsync("cursors")).Lines.Skip(2).Count()); // nothing was deleted
    }
}
