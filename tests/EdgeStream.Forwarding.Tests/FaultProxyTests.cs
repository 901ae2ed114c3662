using System.Net;
using EdgeStream.FirmwareSim.FaultProxy;
using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

[Trait("Category", "Slow")]
public sealed class FaultProxyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Hundred_thousand_records_survive_a_cut_link_a_black_hole_and_an_engine_restart()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var upstream = new Uri(receiver.Url);
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, upstream.Port));
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("flaky", 4, 25_000, valueBytes: 100, batch: 1000);

        var sink = EngineRun.Sink("http1", "http", ("Url", $"http://127.0.0.1:{proxy.Port}/ingest"), ("TimeoutMs", "1000"));
        sink.BandwidthBytesPerSecond = 2_000_000;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await Poll.UntilAsync(() => run.Status("http1").SentRecords > 15_000, Timeout, "first part sent");
            proxy.Cut = true;
            await Poll.UntilAsync(() => run.Status("http1").LastError is not null, Timeout, "the cut is noticed");
            // The link stays cut until a retry has failed on it too (not for a fixed while).
            var firstCutError = run.Status("http1").LastErrorAt;
            await Poll.UntilAsync(() => run.Status("http1").LastErrorAt > firstCutError, Timeout, "a retry fails on the cut link");
            proxy.Cut = false;
            await Poll.UntilAsync(() => run.Status("http1").SentRecords > 35_000, Timeout, "sending again after the cut");
            var beforeBlackHole = run.Status("http1").LastErrorAt;
            proxy.BlackHole = true;
            // The black hole lasts until a send has timed out in it (TimeoutMs), which is what it is there to cause.
            await Poll.UntilAsync(() => run.Status("http1").LastErrorAt > beforeBlackHole, Timeout, "a send times out in the black hole");
            proxy.BlackHole = false;
            // Kill the engine mid-drain, in-flight batches abandoned, as a process kill would.
            await Poll.UntilAsync(() => run.Status("http1").SentRecords > 50_000, Timeout, "sending again after the black hole");
            await run.StopAsync();
            Assert.True(run.Status("http1").Partitions.Sum(p => p.LagRecords) > 0, "stopped mid-drain");
        }

        await log.ReopenAsync();
        sink.BandwidthBytesPerSecond = null;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await run.DrainedAsync("http1", 4, Timeout);
        }

        Delivered.AssertCompleteInOrder(receiver.Ids, "node1", "flaky", 4, 25_000);
        Assert.True(proxy.AcceptedCount > 1, "the sink reconnected through the proxy");
    }
}
