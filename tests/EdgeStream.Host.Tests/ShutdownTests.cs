using System.Net;
using System.Text;
using System.Text.Json;
using EdgeStream.Log;

namespace EdgeStream.Host.Tests;

/// <summary>SIGTERM as systemd sends it: a bounded, clean stop, and a restart that needs no recovery scan.</summary>
[Trait("Category", "Slow")]
public class ShutdownTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    private const string SinkPassword = "pa55word-9f";

    [Fact]
    public async Task Sigterm_under_load_with_a_slow_sink_exits_0_within_the_shutdown_timeout_and_the_restart_needs_no_recovery_scan()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-sigterm-");
        try
        {
            var data = Path.Combine(dir.FullName, "data");
            await using var upstream = await SlowUpstream.StartAsync(TimeSpan.FromSeconds(4));
            var port = Ports.Free();
            var sink = $"http://edge:{SinkPassword}@127.0.0.1:{upstream.Address.Port}/ingest";
            var environment = new Dictionary<string, string> { ["EDGESTREAM__shutdownTimeoutSeconds"] = "20" };
            var acknowledged = new HashSet<string>();
            string output;
            using (var service = new RunProcess(host.Executable, environment, null, "run", "--data", data, "--mqtt-port", "0", "--http-port", port.ToString(), "--sink", sink))
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
                await service.WaitReadyAsync(http);
                (await http.PostAsync("api/v1/topics/idle/records", Lines(["idle"]))).EnsureSuccessStatusCode();
                using var stopLoad = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                var load = LoadAsync(http, acknowledged, stopLoad.Token);

                // The sink has failed once (an error in the status) and now has a batch held by the slow upstream.
                await upstream.SlowSendInFlight.WaitAsync(TimeSpan.FromSeconds(60));
                var status = await WaitForSinkErrorAsync(http);
                Assert.DoesNotContain(SinkPassword, status, StringComparison.Ordinal);
                // A long poll in flight too: it must not hold the stop up.
                var poll = http.GetAsync("api/v1/topics/idle/partitions/0/records?offset=1&waitMs=25000");
                await WaitUntilAsync(() => Count(acknowledged) >= 100, "100 acknowledged records");

                var code = await service.StopAsync(TimeSpan.FromSeconds(20 + 10));
                await stopLoad.CancelAsync();
                await load;
                output = service.Output;
                Assert.True(code == 0, $"exit code {code}: {output}");
                Assert.True(poll.IsCompleted, "the long poll outlived the service");
            }
            Assert.DoesNotContain(SinkPassword, output, StringComparison.Ordinal);
            Assert.Contains("Forwarding stopped", output, StringComparison.Ordinal);

            // The restart opens from the recovery points written at the clean close: nothing scanned, nothing cut.
            using (var restart = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--data", data, "--mqtt-port", "0", "--http-port", "0"))
            {
                await WaitUntilAsync(() => restart.Output.Contains("Application started", StringComparison.Ordinal), "the restart", restart);
                Assert.Equal(0, await restart.StopAsync(TimeSpan.FromSeconds(30)));
                var recovered = restart.Output.Split('\n').Where(l => l.Contains("Recovered ", StringComparison.Ordinal)).ToList();
                Assert.Contains(recovered, l => l.Contains("Recovered load/0", StringComparison.Ordinal));
                Assert.All(recovered, l => Assert.Contains("scanned 0 bytes", l, StringComparison.Ordinal));
                Assert.DoesNotContain("Recovery truncated", restart.Output, StringComparison.Ordinal);
            }

            // Every acknowledged record is there.
            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = data, MinFreeBytes = 0, MinFreePercent = 0 });
            var stored = new HashSet<string>();
            for (long offset = 0; ;)
            {
                var read = store.Read("load", 0, offset, new ReadLimits(10_000, 16 << 20));
                if (read.Records.Count == 0)
                {
                    break;
                }
                stored.UnionWith(read.Records.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
                offset = read.NextOffset;
            }
            Assert.Subset(stored, acknowledged);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Posts batches of 20 records until cancelled or the service goes; keeps the values answered 200.</summary>
    private static async Task LoadAsync(HttpClient http, HashSet<string> acknowledged, CancellationToken cancellationToken)
    {
        for (var batch = 0; batch < 5000 && !cancellationToken.IsCancellationRequested; batch++)
        {
            var values = Enumerable.Range(0, 20).Select(i => $"r-{batch}-{i}").ToList();
            try
            {
                using var response = await http.PostAsync("api/v1/topics/load/records", Lines(values), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lock (acknowledged)
                    {
                        acknowledged.UnionWith(values);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // The service is stopping: what was not answered 200 was never promised.
                return;
            }
        }
    }

    private static StringContent Lines(IEnumerable<string> values)
        => new(string.Concat(values.Select(v => $"{{\"value\":\"{v}\"}}\n")), Encoding.UTF8, "application/x-ndjson");

    private static int Count(HashSet<string> set)
    {
        lock (set)
        {
            return set.Count;
        }
    }

    private static Task<string> WaitForSinkErrorAsync(HttpClient http)
        => Poll.UntilAsync(async () =>
        {
            var status = await http.GetStringAsync("api/status");
            using var json = JsonDocument.Parse(status);
            return json.RootElement.GetProperty("sinks")[0].GetProperty("lastError").ValueKind == JsonValueKind.String ? status : null;
        }, TimeSpan.FromSeconds(30), "the sink to report its error");

    private static Task WaitUntilAsync(Func<bool> condition, string what, RunProcess? process = null)
        => Poll.UntilAsync(condition, TimeSpan.FromSeconds(60), $"{what}: {process?.Output}");
}
