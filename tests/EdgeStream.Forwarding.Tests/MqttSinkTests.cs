using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Forwarding.Tests;

[Trait("Category", "Slow")]
public sealed class MqttSinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>A subscriber with a persistent session that records (topic, edgestream-id) in arrival order.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
        private readonly List<(string Topic, string Id)> _got = [];
        private readonly int _port;

        public Subscriber(int port)
        {
            _port = port;
            _client.ApplicationMessageReceivedAsync += e =>
            {
                var id = e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == "edgestream-id");
                lock (_got)
                {
                    _got.Add((e.ApplicationMessage.Topic, id is null ? "" : Encoding.UTF8.GetString(id.ValueBuffer.Span)));
                }
                return Task.CompletedTask;
            };
        }

        public List<(string Topic, string Id)> Got
        {
            get
            {
                lock (_got)
                {
                    return _got.ToList();
                }
            }
        }

        public async Task ConnectAsync(bool subscribe)
        {
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId("verifier").WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
            await _client.ConnectAsync(options, TestContext.Current.CancellationToken);
            if (subscribe)
            {
                await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(cancellationToken: CancellationToken.None);
            }
            _client.Dispose();
        }
    }

    [Fact]
    public async Task Mosquitto_restarted_mid_drain_receives_every_record_in_order_under_template_or_original_topic()
    {
        await using var broker = await MosquittoBroker.StartAsync(persistence: true, maxQueuedMessages: 1000000);
        await using var subscriber = new Subscriber(broker.Port);
        await subscriber.ConnectAsync(subscribe: true);
        await using var log = await TestLog.OpenAsync(partitions: 2);
        // Every 10th record came in over MQTT and must go back out under its original topic.
        await log.FillAsync("sensors", 2, 3000, headers: (p, i) => i % 10 == 0 ? [new RecordHeader("mqtt.topic", Encoding.UTF8.GetBytes($"devices/d{p}/temp"))] : null);

        var sink = EngineRun.Sink("mqtt1", "mqtt", ("Host", "127.0.0.1"), ("Port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("TopicTemplate", "edge/{topic}/{partition}"), ("TimeoutMs", "3000"));
        sink.BandwidthBytesPerSecond = 30_000;
        await using (var run = EngineRun.Start(log.Store, sink))
        {
            await Poll.UntilAsync(() => run.Status("mqtt1").SentRecords > 1500, Timeout, "part of the backlog sent");
            await broker.StopAsync();
            Assert.True(run.Status("mqtt1").Partitions.Sum(p => p.LagRecords) > 0, "the broker stopped mid-drain");
            await Poll.UntilAsync(() => run.Status("mqtt1").LastError is not null, Timeout, "the outage is reported");
            await broker.RestartAsync();
            await subscriber.ConnectAsync(subscribe: false);
            await run.DrainedAsync("mqtt1", 2, Timeout);
        }
        await Poll.UntilAsync(() => subscriber.Got.Select(g => g.Id).Distinct().Count() >= 6000, Timeout, "subscriber received everything");

        var got = subscriber.Got;
        Delivered.AssertCompleteInOrder(got.Select(g => g.Id), "node1", "sensors", 2, 3000);
        foreach (var (topic, id) in got)
        {
            var parts = id.Split('/');
            var expectedTopic = int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture) % 10 == 0 ? $"devices/d{parts[2]}/temp" : $"edge/sensors/{parts[2]}";
            Assert.Equal(expectedTopic, topic);
        }
    }
}
