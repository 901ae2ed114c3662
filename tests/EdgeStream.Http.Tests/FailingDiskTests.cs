using System.Net;
using System.Text.Json;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Log;

namespace EdgeStream.Http.Tests;

/// <summary>The admin server over a log on a failing disk (the log's fault-injecting storage).</summary>
public sealed class FailingDiskTests
{
    [Fact]
    public async Task While_a_partition_cannot_fsync_readyz_is_503_and_status_and_metrics_name_it_and_the_error()
    {
        var storage = new FaultyStorage();
        await using var server = await AdminServer.StartAsync(open: o => LogStore.OpenAsync(o, storage, null, null, default));
        // Every log in the test process feeds the same meter: a topic of our own.
        var topic = "disk-" + Guid.NewGuid().ToString("N");
        await server.AppendAsync(topic, 2);
        storage.FailFlush = true;
        var append = await server.Store.AppendAsync(topic, new LogRecord("x"u8.ToArray()));
        await Assert.ThrowsAsync<PartitionFailedException>(() => server.Store.WaitForDurableAsync(topic, 0, append.LastOffset).AsTask());

        using var ready = await server.Client.GetAsync("/readyz");
        var readyBody = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains($"{topic}/0", readyBody, StringComparison.Ordinal);
        Assert.Contains("Injected fsync failure", readyBody, StringComparison.Ordinal);

        using var status = JsonDocument.Parse(await server.Client.GetStringAsync("/api/status"));
        var partition = status.RootElement.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("name").GetString() == topic)
            .GetProperty("partitions")[0];
        Assert.Contains("Injected fsync failure", partition.GetProperty("failed").GetProperty("error").GetString(), StringComparison.Ordinal);

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("edgestream_log_partition_failed", StringComparison.Ordinal)
            && l.Contains($"topic=\"{topic}\"", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 1", StringComparison.Ordinal));

        using var ingest = await server.PostAsync(topic, "21.5", "application/octet-stream");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ingest.StatusCode);
    }

    [Fact]
    public async Task A_volume_full_with_ENOSPC_answers_507_and_ingest_resumes_when_space_returns()
    {
        var storage = new FaultyStorage();
        // Without preallocation every append needs new space, so the full volume refuses the very next one (with it,
        // records land in space already allocated and the refusal waits for the next allocation step).
        await using var server = await AdminServer.StartAsync(log: o => o.SegmentPreallocationBytes = 0, open: o => LogStore.OpenAsync(o, storage, null, null, default));
        await server.AppendAsync("t", 1);
        storage.VolumeFull = true;

        using var refused = await server.PostAsync("t", "21.5", "application/octet-stream");
        Assert.Equal((HttpStatusCode)507, refused.StatusCode);
        using (var ready = await server.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        storage.VolumeFull = false;
        using var accepted = await server.PostAsync("t", "22.0", "application/octet-stream");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(2, server.Store.GetTopic("t")!.Partitions[0].DurableOffset);
    }
}
