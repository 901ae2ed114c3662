using System.Text;
using System.Text.Json;

namespace EdgeStream.Host.Tests;

/// <summary>What an operator sees of the real <c>edgestream run</c> process: its /metrics and its console log format.</summary>
[Trait("Category", "Slow")]
public class OperabilityTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    [Fact]
    public async Task Metrics_of_an_idle_then_a_busy_service_pass_promtool_and_show_every_known_series_from_the_start()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-metrics-");
        try
        {
            var port = Ports.Free();
            // A sink whose upstream is down: its state and lag series must show too.
            using var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--data", Path.Combine(dir.FullName, "data"),
                "--mqtt-port", Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sink", "http://127.0.0.1:9/ingest");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            var idle = await MetricsWhenAsync(http, service, t => t.Contains("edgestream_forwarding_sink_state{", StringComparison.Ordinal));

            await PromtoolAsync(idle, dir.FullName, "idle");
            foreach (var series in (string[])[
                "edgestream_build_info{commit=\"", "process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
                "process_max_fds ", "process_start_time_seconds ", "dotnet_gc_collections_total", "dotnet_thread_pool_work_item_count_total ", "dotnet_timers ",
                "edgestream_mqtt_connections 0\n", "edgestream_mqtt_messages_received_total{source=\"broker\"} 0\n",
                "edgestream_log_appended_records_total 0\n", "edgestream_log_fsync_duration_seconds_count 0\n", "edgestream_log_disk_used_bytes ",
                "edgestream_forwarding_sent_records_total 0\n"])
            {
                Assert.Contains(series, idle, StringComparison.Ordinal);
            }
            Assert.DoesNotContain("(ms)", idle, StringComparison.Ordinal);

            for (var i = 0; i < 5; i++)
            {
                (await http.PostAsync($"api/v1/topics/busy-{i % 2}/records", new StringContent("{\"value\":\"x\"}\n{\"value\":\"y\"}\n", Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();
            }
            var busy = await MetricsWhenAsync(http, service, t => t.Contains("edgestream_forwarding_lag_records{partition=\"0\",sink=", StringComparison.Ordinal));
            await PromtoolAsync(busy, dir.FullName, "busy");
            Assert.Contains("edgestream_log_appended_records_total{topic=\"busy-1\"} 4\n", busy, StringComparison.Ordinal);
            Assert.Contains("edgestream_log_partitions{topic=\"busy-0\"} 1\n", busy, StringComparison.Ordinal);
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_misspelt_setting_is_named_at_start_and_the_service_runs_on()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-unknown-");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["EDGESTREAM__Mqtt__Limits__MaxPacketByte"] = "1000",
                ["EDGESTREAM__Processing__SnapshotInterval"] = "00:00:30",
                ["EDGESTREAM__Forwarding__Sinks__0__Name"] = "up",
                ["EDGESTREAM__Forwarding__Sinks__0__Type"] = "http",
                ["EDGESTREAM__Forwarding__Sinks__0__Settings__Url"] = "http://127.0.0.1:9/ingest",
                ["EDGESTREAM__Forwarding__Sinks__0__Retyr__MaxDelay"] = "00:00:05",
            };
            using var service = new RunProcess(host.Executable, environment, dir.FullName, "run", "--data", Path.Combine(dir.FullName, "data"),
                "--mqtt-port", "0", "--http-port", "0");
            await Poll.UntilAsync(() => service.Output.Contains("Application started", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "started: " + service.Output);

            var named = service.Output.Split('\n').Where(l => l.Contains("is not a setting of EdgeStream", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, named.Count);
            Assert.Contains(named, l => l.Contains("Configuration key Mqtt:Limits:MaxPacketByte ", StringComparison.Ordinal));
            Assert.Contains(named, l => l.Contains("Configuration key Forwarding:Sinks:0:Retyr ", StringComparison.Ordinal));
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Json_console_format_from_configuration_is_honoured_even_under_systemd()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-json-");
        try
        {
            var environment = new Dictionary<string, string> { ["EDGESTREAM__Logging__Console__FormatterName"] = "json" };
            using var service = new RunProcess(host.Executable, environment, dir.FullName, "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", "0");
            JsonElement? started = null;
            await Poll.UntilAsync(() =>
            {
                started = service.Output.Split('\n').Where(l => l.StartsWith('{')).Select(Parse)
                    .FirstOrDefault(e => e?.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime");
                return started is not null;
            }, TimeSpan.FromSeconds(60), "a JSON line from Microsoft.Hosting.Lifetime: " + service.Output);
            Assert.True(started is not null, service.Output);
            Assert.Equal("Information", started.Value.GetProperty("LogLevel").GetString());
            Assert.True(started.Value.TryGetProperty("EventId", out _));
            Assert.DoesNotContain(service.Output.Split('\n'), l => l.StartsWith("<6>", StringComparison.Ordinal));
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Http_requests_are_not_logged_one_by_one_at_the_default_level_but_configuration_can_turn_them_on()
    {
        var quiet = await OutputAfterRequestsAsync(new Dictionary<string, string>());
        Assert.Contains("Application started", quiet, StringComparison.Ordinal); // Information still shows
        Assert.DoesNotContain("Microsoft.AspNetCore", quiet, StringComparison.Ordinal);

        var chatty = await OutputAfterRequestsAsync(new Dictionary<string, string> { ["EDGESTREAM__Logging__LogLevel__Microsoft.AspNetCore"] = "Information" });
        Assert.Contains("Request starting HTTP/1.1 GET", chatty, StringComparison.Ordinal);
    }

    /// <summary>The whole console output of a service that answered a few requests (what a scraper and a pull job send) and stopped.</summary>
    private async Task<string> OutputAfterRequestsAsync(Dictionary<string, string> environment)
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-requests-");
        try
        {
            var port = Ports.Free();
            using var service = new RunProcess(host.Executable, environment, null, "run", "--data", Path.Combine(dir.FullName, "data"),
                "--mqtt-port", "0", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await service.WaitReadyAsync(http);
            (await http.GetAsync("metrics")).EnsureSuccessStatusCode();
            await http.GetAsync("api/v1/topics/absent/partitions/0/records?offset=0");
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
            return service.Output;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static JsonElement? Parse(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<string> MetricsWhenAsync(HttpClient http, RunProcess service, Func<string, bool> ready)
    {
        var last = "";
        try
        {
            return await Poll.UntilAsync(async () =>
            {
                try
                {
                    last = await http.GetStringAsync("metrics");
                    return ready(last) ? last : null;
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            }, TimeSpan.FromSeconds(60), "the expected series in /metrics");
        }
        catch (TimeoutException)
        {
            Assert.Fail("metrics never showed the expected series:\n" + last + "\n" + service.Output);
            throw;
        }
    }

    /// <summary>Prometheus' own linter (Debian package prometheus): exit 0 and no complaint.</summary>
    private static async Task PromtoolAsync(string metrics, string dir, string name)
    {
        var promtool = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), stdin: metrics);
        var output = promtool.Output;
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".prom"), metrics);
        Assert.True(promtool.ExitCode == 0 && output.Trim().Length == 0, $"promtool on the {name} service: {output}\n{metrics}");
    }
}
