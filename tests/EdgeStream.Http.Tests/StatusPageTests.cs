using System.Net;
using System.Text;
using EdgeStream.Http.Tests.Infrastructure;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Http.Tests;

[Trait("Category", "Slow")]
public sealed class StatusPageTests
{
    private sealed record SinkPartition(string Topic, int Partition, long CommittedOffset, long EndOffset);

    private sealed record Sink(string Name, string Type, string State, string? LastError, IReadOnlyList<SinkPartition> Partitions);

    // What a sink that cannot reach its upstream reports after a while: long enough to overflow a naive table.
    private const string LongError = "HttpRequestException: Connection refused (ingest.example.com:443) while sending batch "
        + "pi-17/telemetry.temp/0/1200-1299; retrying in 00:00:30 after 12 attempts, the circuit opens after 20";

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
    public async Task Headless_chromium_renders_a_demo_like_service_with_reporting_sensors_and_a_long_sink_error_inside_their_cards()
    {
        if (HeadlessChromium.Path is null)
        {
            Assert.Skip("chromium is not installed (apt-get install chromium)");
        }
        using var work = new TempDir();
        // The sensors are the real sensor ingest on simulated chips, wired into the status as the Host wires them.
        var sensorConfig = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sensors:0:Name"] = "bme280-greenhouse", ["Sensors:0:Type"] = "bme280", ["Sensors:0:Driver"] = "simulated", ["Sensors:0:PollInterval"] = "00:00:00.200",
            ["Sensors:1:Name"] = "door-switch", ["Sensors:1:Type"] = "gpio-input", ["Sensors:1:Driver"] = "simulated", ["Sensors:1:Pin"] = "17",
        }).Build();
        await using var server = await AdminServer.StartAsync(log: o => o.Defaults.Partitions = 2, services: s =>
        {
            s.AddEdgeStreamStatus("sinks", sp => new[]
            {
                SinkFrom(sp.GetRequiredService<LogStore>(), "cloud-kafka", "kafka", "Connected", null),
                SinkFrom(sp.GetRequiredService<LogStore>(), "backup-http", "http", "Backoff", LongError),
            });
            s.AddSensorIngest(sensorConfig).AddSimulatedSensorHardware();
            s.AddEdgeStreamStatus("sensors", sp => sp.GetRequiredService<SensorStatusBoard>().Snapshot());
        });
        // Wait until the sensors have reported, as they have in the demo by the time anyone opens the page.
        var board = server.Services.GetRequiredService<SensorStatusBoard>();
        await Poll.UntilAsync(() => board.Snapshot().Any(x => x.Records > 0), what: "a sensor reading on the status board");
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
        Assert.Contains(LongError, dom, StringComparison.Ordinal);
        Assert.Contains("<td>bme280-greenhouse</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>door-switch</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>simulated</td>", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<p class=\"empty\">no sensors reported</p>", dom, StringComparison.Ordinal);
        // Every card's content fits inside the card (the page's own layout check, in a 1200 px wide window).
        Assert.Contains("data-overflow=\"\"", dom, StringComparison.Ordinal);
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
                // Pacing of the background traffic (a load generator), not synchronisation.
                await Task.Delay(20, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The test is done with the browser.
        }
    }
}
