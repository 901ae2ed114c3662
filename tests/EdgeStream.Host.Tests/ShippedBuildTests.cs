using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Host.Tests;

/// <summary>
/// The shipped (NativeAOT) build end to end, on what trimming and AOT break first: JSON, configuration binding, TLS,
/// native clients (librdkafka), every sink, the status API and page, the log verbs.
/// </summary>
[Trait("Category", "Slow")]
public class ShippedBuildTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    private const int Messages = 20;

    [Fact]
    public async Task Shipped_build_answers_refused_and_invalid_requests_with_their_status_and_a_problem_document()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-problems-");
        try
        {
            const string token = "shipped-build-token-0123456789";
            var port = Ports.Free();
            using var service = new RunProcess(host.Executable, new Dictionary<string, string> { ["EDGESTREAM__Http__Token"] = token }, null,
                "run", "--data", Path.Combine(dir.FullName, "data"), "--mqtt-port", "0", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await service.WaitReadyAsync(http);

            await AssertProblemAsync(await http.GetAsync("api/v1/topics"), HttpStatusCode.Unauthorized, "token");
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            await AssertProblemAsync(await http.GetAsync("api/v1/topics/absent/partitions/0/records?offset=0"), HttpStatusCode.NotFound, "absent");
            await AssertProblemAsync(await http.PostAsync("api/v1/topics/t/records", new StringContent("not json\n", System.Text.Encoding.UTF8, "application/x-ndjson")),
                HttpStatusCode.BadRequest, "line 1");

            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain("fail:", service.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailMentions)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} where {(int)status} was expected: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(body)!;
            Assert.Equal((int)status, (int)problem["status"]!);
            Assert.Contains(detailMentions, (string)problem["detail"]!, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Shipped_build_stores_mqtt_over_tls_and_forwards_to_kafka_mqtt_nats_and_http_reporting_each_in_the_status()
    {
        using var dir = new TempDir("shipped");
        await using var mosquitto = await MosquittoBroker.StartAsync();
        await using var nats = await NatsServers.StartSingleAsync();
        await using var upstream = await SlowUpstream.StartAsync(TimeSpan.Zero);
        var (certFile, keyFile) = WriteServerCertificate(dir);
        var tlsPort = Ports.Free();
        var httpPort = Ports.Free();
        var config = dir.Combine("appsettings.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["Mqtt"] = new JsonObject { ["Tls"] = new JsonObject { ["Port"] = tlsPort, ["CertificateFile"] = certFile, ["KeyFile"] = keyFile } },
            ["Forwarding"] = new JsonObject
            {
                ["Sinks"] = new JsonArray(
                    // librdkafka's own mock cluster, created inside the service's producer: the native client end to end.
                    new JsonObject { ["Name"] = "kafka", ["Type"] = "kafka", ["Settings"] = new JsonObject { ["BootstrapServers"] = "127.0.0.1:9" }, ["Client"] = new JsonObject { ["test.mock.num.brokers"] = "1" } },
                    new JsonObject { ["Name"] = "mqtt", ["Type"] = "mqtt", ["Settings"] = new JsonObject { ["Host"] = "127.0.0.1", ["Port"] = mosquitto.Port } },
                    new JsonObject { ["Name"] = "nats", ["Type"] = "nats", ["Settings"] = new JsonObject { ["Url"] = nats.Url, ["Stream"] = "EDGE", ["CreateStream"] = true, ["SubjectTemplate"] = "edge.{topic}" } },
                    new JsonObject { ["Name"] = "http", ["Type"] = "http", ["Settings"] = new JsonObject { ["Url"] = new Uri(upstream.Address, "ingest").ToString() } }),
            },
        }.ToJsonString());
        var data = dir.Combine("data");

        using (var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--config", config, "--data", data, "--mqtt-port", "0", "--http-port", $"{httpPort}"))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
            await PollAsync(async () => (await TryGetAsync(http, "readyz"))?.StatusCode == HttpStatusCode.OK, "ready", service);

            using (var client = new MqttClientFactory().CreateMqttClient())
            {
                await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", tlsPort).WithClientId("shipped-tls")
                    .WithTimeout(TimeSpan.FromSeconds(10))
                    .WithTlsOptions(t => t.UseTls().WithTargetHost("127.0.0.1").WithCertificateValidationHandler(_ => true)).Build());
                for (var i = 0; i < Messages; i++)
                {
                    var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("devices/d1/telemetry").WithPayload($"{{\"n\":{i}}}")
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                    Assert.True(ack.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers, $"PUBACK {ack.ReasonCode}: {service.Output}");
                }
            }

            // Every sink drained the topic, and the status (source-generated JSON) says so with its enums as strings.
            string status = "";
            await PollAsync(async () =>
            {
                status = await http.GetStringAsync("api/status");
                var sinks = JsonDocument.Parse(status).RootElement.GetProperty("sinks").EnumerateArray().ToList();
                return sinks.Count == 4 && sinks.All(s => s.GetProperty("sentRecords").GetInt64() >= Messages);
            }, "every sink forwarding the MQTT messages", service, () => status);
            Assert.Contains("\"state\":\"Connected\"", status, StringComparison.Ordinal);
            var page = await http.GetStringAsync("");
            Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);

            Assert.True(await service.StopAsync(TimeSpan.FromSeconds(30)) == 0, service.Output);
        }

        var dump = await RunAsync(host.Executable, "log", "dump", "mqtt", "--data", data, "--format", "jsonl");
        Assert.True(dump.ExitCode == 0, dump.Error);
        Assert.Equal(Messages, dump.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static (string Cert, string Key) WriteServerCertificate(TempDir dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = dir.Combine("mqtt.pem");
        var keyFile = dir.Combine("mqtt.key");
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    private static async Task<HttpResponseMessage?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return await http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task PollAsync(Func<Task<bool>> condition, string what, RunProcess service, Func<string>? detail = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"not {what} within 60 s: {detail?.Invoke()}\n{service.Output}");
    }

    private static async Task<VerbResult> RunAsync(string executable, params string[] args)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new VerbResult(process.ExitCode, await output, await error);
    }
}
