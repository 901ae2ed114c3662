using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeStream.Host.Tests;

/// <summary>The example rules file end to end: <c>edgestream run</c> aggregates sensor records into a derived topic,
/// and <c>rules test</c> reproduces the same results from the stored history.</summary>
[Trait("Category", "Slow")]
public class ProcessingRunTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    private static readonly string Rules = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../deploy/examples/rules.json"));

    [Fact]
    public async Task Run_with_the_example_rules_appends_one_minute_aggregates_that_rules_test_reproduces()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-rules-");
        try
        {
            var port = Ports.Free();
            var data = Path.Combine(dir.FullName, "data");
            var stored = new List<string>();
            using (var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--config", Rules, "--data", data, "--mqtt-port", "0", "--http-port", port.ToString(CultureInfo.InvariantCulture)))
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
                await WaitReadyAsync(http, service);
                // Four minutes of readings of two sensors, 20 s apart: with 30 s allowed lateness the first three
                // one-minute windows of each sensor close on event time alone.
                var body = new StringBuilder();
                var start = new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);
                for (var i = 0; i < 12; i++)
                {
                    foreach (var (sensor, site, t) in new[] { ("greenhouse-air", "north", 20.0 + i), ("shed-air", "shed", 10.0) })
                    {
                        var value = string.Create(CultureInfo.InvariantCulture,
                            $$$"""{"sensor":"{{{sensor}}}","type":"bme280","ts":"{{{start.AddSeconds(20 * i):yyyy-MM-ddTHH:mm:ss.fffZ}}}","quantities":{"temperature":{"value":{{{t}}},"unit":"°C"}},"tags":{"site":"{{{site}}}"},"status":"ok"}""");
                        body.AppendLine(JsonSerializer.Serialize(new { key = sensor, value }));
                    }
                }
                (await http.PostAsync("api/v1/topics/sensors/records", new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();

                for (var i = 0; i < 300 && await AggregatesAsync(http) < 6; i++)
                {
                    await Task.Delay(100);
                }
                Assert.Equal(6, await AggregatesAsync(http));
                using var status = JsonDocument.Parse(await http.GetStringAsync("api/status"));
                var rule = status.RootElement.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == "air-1m");
                Assert.Equal(24, rule.GetProperty("recordsIn").GetInt64());
                Assert.Equal(0, rule.GetProperty("lagRecords").GetInt64());
                Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
            }

            var dump = await VerbAsync(["log", "dump", "agg.air.1m", "--data", data, "--format", "jsonl"]);
            Assert.Equal(0, dump.Code);
            stored.AddRange(dump.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(JsonDocument.Parse(l).RootElement.GetProperty("value").GetString()!).RootElement.GetRawText()));
            Assert.Contains(stored, s => s.Contains("\"n\":3", StringComparison.Ordinal) && s.Contains("greenhouse-air", StringComparison.Ordinal));

            var test = await VerbAsync(["rules", "test", "air-1m", "--config", Rules, "--data", data]);
            Assert.True(test.Code == 0, test.Error);
            var replayed = test.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("value").GetRawText()).ToList();
            Assert.Equal(stored.Order(StringComparer.Ordinal), replayed.Order(StringComparer.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<long> AggregatesAsync(HttpClient http)
    {
        var response = await http.GetAsync("api/v1/topics/agg.air.1m");
        if (!response.IsSuccessStatusCode)
        {
            return 0;
        }
        using var topic = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return topic.RootElement.GetProperty("partitions").EnumerateArray().Sum(p => p.GetProperty("durableOffset").GetInt64());
    }

    private static async Task<(int Code, string Output, string Error)> VerbAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new System.CommandLine.RootCommand { LogVerbs.LogCommand.Create(), RuleVerbs.RulesCommand.Create() };
        var code = await root.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static async Task WaitReadyAsync(HttpClient http, RunProcess service)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync("readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("the service never became ready: " + service.Output);
    }
}
