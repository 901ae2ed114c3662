using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeStream.Host.Tests;

/// <summary>The real <c>edgestream</c> process: the demo end to end, and following a live service over HTTP.</summary>
[Trait("Category", "Slow")]
public class ServiceTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    [Fact]
    public async Task Demo_moves_records_from_devices_and_sensors_through_the_log_to_its_upstream_and_stops_by_itself()
    {
        using var demo = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "demo", "--duration", "10", "--devices", "5");
        var code = await demo.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(code == 0, demo.Output);
        Assert.Contains("status page   http://127.0.0.1:", demo.Output);
        var summary = demo.Output.Split('\n').Single(l => l.StartsWith("Demo stopped.", StringComparison.Ordinal));
        var numbers = summary.Split(' ', '(').Where(w => long.TryParse(w, out _)).Select(long.Parse).ToArray();
        Assert.True(numbers[0] > 20, summary);
        // Redelivery may repeat a record, but every id the upstream saw is one record of the log.
        Assert.True(numbers[1] <= numbers[0] && numbers[1] > 20, summary);
        Assert.Contains("sensors", demo.Output);
    }

    private static readonly string[] Expected = ["greenhouse-air", "seedling-climate", "tank-water"];

    [Fact]
    public async Task Run_with_the_simulated_sensors_example_fills_topic_sensors_and_log_dump_shows_the_readings()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-sensors-");
        try
        {
            var example = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../deploy/examples/simulated-sensors.json"));
            var data = Path.Combine(dir.FullName, "data");
            var port = Ports.Free();
            using (var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null,
                "run", "--config", example, "--data", data, "--mqtt-port", "0", "--http-port", port.ToString(CultureInfo.InvariantCulture)))
            {
                // Every source polls at least every 10 s and publishes its first reading at once; wait (through the pull
                // API, the directory being locked) until most sensors have been heard, however slow the machine.
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
                await service.WaitReadyAsync(http);
                // The ones asserted by name below are awaited by name: under load a forced-mode BME280 reading can come
                // after seven others.
                var names = SensorNames(example);
                await Poll.UntilAsync(async () =>
                {
                    using var response = await http.GetAsync("api/v1/topics/sensors/partitions/0/records?offset=0&maxRecords=1000");
                    var body = response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
                    return names.Count(n => body.Contains(n, StringComparison.Ordinal)) >= 7 && Expected.All(n => body.Contains(n, StringComparison.Ordinal));
                }, TimeSpan.FromSeconds(60), "readings from 7 sensors in topic sensors: " + service.Output);
                Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
            }

            var dump = await new LockedDirectory(host.Executable, data).RunAsync("dump", "sensors", "--format", "jsonl");
            Assert.Equal(0, dump.ExitCode);
            var readings = dump.Lines
                .Select(l => JsonDocument.Parse(JsonDocument.Parse(l).RootElement.GetProperty("value").GetString()!).RootElement)
                .ToList();
            var sensors = readings.Select(v => v.GetProperty("sensor").GetString()).ToHashSet();
            Assert.All(Expected, name => Assert.Contains(name, sensors));
            // Unit abbreviations come from UnitsNet's resources, which the shipped build trims down to what is used.
            var air = readings.First(v => v.GetProperty("sensor").GetString() == "greenhouse-air").GetProperty("quantities");
            Assert.Equal("°C", air.GetProperty("temperature").GetProperty("unit").GetString());
            Assert.Equal("%RH", air.GetProperty("humidity").GetProperty("unit").GetString());
            Assert.True(sensors.Count >= 7, string.Join(", ", sensors));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Log_tail_with_url_follows_a_running_service_whose_directory_is_locked()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-tail-");
        try
        {
            var port = Ports.Free();
            var data = Path.Combine(dir.FullName, "data");
            using var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--data", data, "--mqtt-port", "0", "--http-port", port.ToString());
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await service.WaitReadyAsync(http);
            (await http.PostAsync("api/v1/topics/live/records", new StringContent("{\"value\":\"first\"}\n", Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();

            // The local way in is refused with a pointer to the HTTP API...
            var fixtureLocked = new LockedDirectory(host.Executable, data);
            var local = await fixtureLocked.RunAsync("dump", "live");
            Assert.NotEqual(0, local.ExitCode);
            Assert.Contains("in use by another EdgeStream process", local.Error);

            // ...and --url follows it live: the record already there, then one posted while tailing.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var output = new LineWriter(2, cts);
            var tail = fixtureLocked.RunTailAsync(output, cts.Token, "tail", "live", "--from-offset", "0", "--url", $"http://127.0.0.1:{port}");
            await output.FirstLine.WaitAsync(cts.Token);
            (await http.PostAsync("api/v1/topics/live/records", new StringContent("{\"value\":\"second\"}\n", Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();
            Assert.Equal(0, await tail);
            var values = output.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("value").GetString()).ToArray();
            Assert.Equal(["first", "second"], values);
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string[] SensorNames(string config)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        return [.. json.RootElement.GetProperty("Sensors").EnumerateArray().Select(s => s.GetProperty("Name").GetString()!)];
    }

    /// <summary>
    /// Runs log verbs against a data directory another process holds: one-shot verbs in the shipped executable (the
    /// verbs as users run them), <c>tail</c> in process so the test can stop it after the lines it expects.
    /// </summary>
    private sealed class LockedDirectory(string executable, string data)
    {
        public async Task<VerbResult> RunAsync(params string[] args)
        {
            var start = new System.Diagnostics.ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["log", .. args, "--data", data])
            {
                start.ArgumentList.Add(a);
            }
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return new VerbResult(process.ExitCode, await output, await error);
        }

        public Task<int> RunTailAsync(TextWriter output, CancellationToken ct, params string[] args)
        {
            var root = new System.CommandLine.RootCommand { LogVerbs.LogCommand.Create() };
            return root.Parse(["log", .. args]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = output }, ct);
        }
    }

    /// <summary>Collects lines; cancels once it has the expected number so the tail ends as Ctrl+C would end it.</summary>
    private sealed class LineWriter(int expected, CancellationTokenSource done) : StringWriter
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Lines { get; } = [];

        public Task FirstLine => _first.Task;

        public override void WriteLine(string? value)
        {
            lock (Lines)
            {
                Lines.Add(value ?? "");
                _first.TrySetResult();
                if (Lines.Count == expected)
                {
                    done.Cancel();
                }
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
