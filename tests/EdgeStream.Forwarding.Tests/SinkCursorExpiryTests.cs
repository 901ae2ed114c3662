using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Forwarding.Tests;

public sealed class SinkCursorExpiryTests
{
    [Fact]
    public async Task A_configured_sinks_cursor_never_expires_however_long_its_upstream_stays_away()
    {
        using var dir = new TempDir("log");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new LogOptions { DataDirectory = dir.Path, MinFreeBytes = 0, MinFreePercent = 0, CursorIdleExpiry = TimeSpan.FromDays(1) };
        await using var log = await LogStore.OpenAsync(options, timeProvider: time);
        await log.AppendAsync("t", new LogRecord("a"u8.ToArray()));
        await log.FlushAsync();
        await log.CommitCursorAsync("http1", "t", 0, 1);
        await log.CommitCursorAsync("removed-sink", "t", 0, 1);
        var forwarding = new ForwardingOptions { NodeId = "node1" };
        forwarding.Sinks.Add(EngineRun.Sink("http1", "http", ("Url", "http://127.0.0.1:9/")));
        await using var engine = new ForwardingEngine(log, forwarding, EngineRun.Factories);

        time.Advance(TimeSpan.FromDays(2));
        await log.EnforceRetentionAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, log.GetCursor("http1", "t", 0));
        Assert.Null(log.GetCursor("removed-sink", "t", 0));
    }
}
