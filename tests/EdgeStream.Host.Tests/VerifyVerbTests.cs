namespace EdgeStream.Host.Tests;

public sealed class VerifyVerbTests : IDisposable
{
    private readonly LogFixture _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Clean_log_exits_0()
    {
        await FillAsync();

        var result = await _log.RunAsync("verify");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^Checked 1 segments, 2 batches, \d+ bytes: OK$", Assert.Single(result.Lines));
    }

    [Fact]
    public async Task A_flipped_bit_inside_a_batch_exits_1_and_names_the_segment()
    {
        await FillAsync();
        var segment = Path.Combine(_log.DataDirectory, "topics", "v", "0", "00000000000000000000.log");
        var bytes = await File.ReadAllBytesAsync(segment);
        // Byte 50 is in the first batch's records section (the header is 44 bytes), which the CRC32C covers.
        bytes[50] ^= 0x01;
        await File.WriteAllBytesAsync(segment, bytes);

        var result = await _log.RunAsync("verify");

        Assert.Equal(1, result.ExitCode);
        var problem = Assert.Single(result.Lines, l => l.StartsWith("CORRUPT", StringComparison.Ordinal));
        Assert.Contains("v/0", problem, StringComparison.Ordinal);
        Assert.Contains(segment, problem, StringComparison.Ordinal);
        Assert.Contains("at byte 0", problem, StringComparison.Ordinal);
        Assert.EndsWith("1 problem(s)", result.Lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damage_followed_by_valid_batches_names_the_offsets_readers_skip()
    {
        await FillAsync();
        var segment = Path.Combine(_log.DataDirectory, "topics", "v", "0", "00000000000000000000.log");
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[50] ^= 0x01;
        await File.WriteAllBytesAsync(segment, bytes);

        var result = await _log.RunAsync("verify");

        Assert.Equal(1, result.ExitCode);
        var problem = Assert.Single(result.Lines, l => l.StartsWith("CORRUPT", StringComparison.Ordinal));
        Assert.EndsWith("(offsets 0..19 unreadable, skipped by readers)", problem, StringComparison.Ordinal);
        // The batch after the damage was found and checked.
        Assert.StartsWith("Checked 1 segments, 1 batches", result.Lines[^1], StringComparison.Ordinal);
    }

    private Task FillAsync() => _log.WriteAsync("v", 1, async store =>
    {
        await store.AppendBatchAsync("v", 0, [.. Enumerable.Range(0, 20).Select(i => DumpVerbTests.Record($"value-{i}", DateTimeOffset.UnixEpoch.AddSeconds(i)))]);
        await store.AppendBatchAsync("v", 0, [DumpVerbTests.Record("last", DateTimeOffset.UnixEpoch)]);
    });
}
