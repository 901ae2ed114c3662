using System.Net;
using System.Text;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Log;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

public sealed class StatusPageTests
{
    private sealed record SinkPartition(string Topic, int Partition, long CommittedOffset, long EndOffset);

    private sealed record Sink(string Name, string Type, string State, string? LastError, IReadOnlyList<SinkPartition> Partitions);

    private sealed record Sensor(string Name, string Bus, string State, double? LastReading, string? Error);

    [Fact]
    public async Task The_page_is_self_contained_html_under_a_strict_content_security_policy()
    {
        await using var server = await AdminServer.StartAsync();
        await server.AppendAsync("telemetry.temp", 1);

        using var response = await server.Client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        // Topic names only appear once the page's script has rendered /api/status.
        Assert.DoesNotContain("telemetry.temp", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headless_chromium_renders_topics_sinks_and_sensors_and_takes_a_screenshot()
    {
        if (HeadlessChromium.Path is null)
        {
            Assert.Skip("chromium is not installed (apt-get install chromium)");
        }
        using var work = new TempDirectory();
        await using var server = await AdminServer.StartAsync(log: o => o.Defaults.Partitions = 2, services: s =>
        {
            s.AddEdgeStreamStatus("sinks", sp => new[]
            {
                SinkFrom(sp.GetRequiredService<LogStore>(), "cloud-kafka", "kafka", "Connected", null),
                SinkFrom(sp.GetRequiredService<LogStore>(), "backup-http", "http", "Backoff", "connection refused"),
            });
            s.AddEdgeStreamStatus("sensors", _ => new[]
            {
                new Sensor("bme280-greenhouse", "i2c-1/0x76", "ok", 21.5, null),
                new Sensor("door-switch", "gpio-17", "error", null, "no edge for 300 s"),
            });
        });
        await server.AppendAsync("telemetry.temp", 40, partition: 0);
        await server.AppendAsync("telemetry.temp", 25, partition: 1);
        await server.AppendAsync("alarms", 3);
        await server.Store.CommitCursorAsync("cloud-kafka", "telemetry.temp", 0, 30);
        await server.Store.CommitCursorAsync("backup-http", "telemetry.temp", 0, 5);

        // Records keep flowing in and draining while the browser polls, so the chart has rates to draw.
        using var stop = new CancellationTokenSource();
        var traffic = TrafficAsync(server.Store, stop.Token);
        string dom;
        var screenshot = Path.Combine(work.Path, "status.png");
        try
        {
            dom = await HeadlessChromium.DumpDomAsync(server.Address, work.Path);
            await HeadlessChromium.ScreenshotAsync(server.Address, work.Path, screenshot);
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }

        Assert.Contains("data-state=\"ok\"", dom, StringComparison.Ordinal);
        Assert.Contains("<td>telemetry.temp</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>alarms</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>cloud-kafka</td>", dom, StringComparison.Ordinal);
        Assert.Contains("connection refused", dom, StringComparison.Ordinal);
        Assert.Contains("bme280-greenhouse", dom, StringComparison.Ordinal);
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        File.Copy(screenshot, "/tmp/edgestream-status.png", overwrite: true);
    }

    private static Sink SinkFrom(LogStore store, string name, string type, string state, string? error)
    {
        var partitions = store.GetTopics().SelectMany(t => t.Partitions.Select(p =>
            new SinkPartition(t.Name, p.Partition, store.GetCursor(name, t.Name, p.Partition) ?? 0, p.DurableOffset))).ToList();
        return new Sink(name, type, state, error, partitions);
    }

    private static async Task TrafficAsync(LogStore store, CancellationToken stop)
    {
        var n = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await store.AppendAsync("telemetry.temp", new LogRecord(Encoding.UTF8.GetBytes($"{{\"n\":{n++}}}")), stop);
                await store.WaitForDurableAsync("telemetry.temp", result.Partition, result.LastOffset, stop);
                var cursor = store.GetCursor("cloud-kafka", "telemetry.temp", 0) ?? 0;
                var end = store.GetTopic("telemetry.temp")!.Partitions[0].DurableOffset;
                await store.CommitCursorAsync("cloud-kafka", "telemetry.temp", 0, Math.Min(end, cursor + 1), stop);
                await Task.Delay(20, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The test is done with the browser.
        }
    }
}
