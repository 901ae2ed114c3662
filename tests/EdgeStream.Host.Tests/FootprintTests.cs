using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Host.Tests;

/// <summary>
/// What the shipped build keeps out of memory until a feature needs it (docs/performance.md, "Memory"). Figures are the
/// footprint bench's job; these tests hold the mechanisms that the figures depend on.
/// </summary>
[Trait("Category", "Slow")]
public class FootprintTests(ShippedHost host) : IClassFixture<ShippedHost>
{
    [Fact]
    public async Task Service_with_plain_listeners_and_no_users_never_maps_OpenSSL_even_while_storing_anonymous_mqtt()
    {
        var dir = Directory.CreateTempSubdirectory("edgestream-footprint-");
        try
        {
            var httpPort = Ports.Free();
            var mqttPort = Ports.Free();
            using var service = new RunProcess(host.Executable, new Dictionary<string, string>(), null, "run", "--data", Path.Combine(dir.FullName, "data"),
                "--mqtt-port", mqttPort.ToString(CultureInfo.InvariantCulture), "--http-port", httpPort.ToString(CultureInfo.InvariantCulture), "--sink", "http://127.0.0.1:9/ingest");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/") };
            await service.WaitReadyAsync(http);
            using (var client = new MqttClientFactory().CreateMqttClient())
            {
                await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mqttPort).WithClientId("footprint").Build());
                var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("devices/d1/telemetry").WithPayload("{\"n\":1}")
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                Assert.True(ack.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers, $"PUBACK {ack.ReasonCode}: {service.Output}");
            }

            // libssl and libcrypto cost ~3.6 MB resident once mapped: only TLS, a password check or a hash should map them.
            var maps = await File.ReadAllTextAsync($"/proc/{service.ServicePid}/maps");
            Assert.DoesNotContain("libssl", maps, StringComparison.Ordinal);
            Assert.DoesNotContain("libcrypto", maps, StringComparison.Ordinal);
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
