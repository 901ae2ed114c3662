using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>The embedded broker with real MQTTnet clients over a real log.</summary>
public sealed class BrokerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, bool retain = false)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).Build();

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task A_qos1_publish_is_stored_in_topic_mqtt_keyed_by_client_id_before_its_puback(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await broker.ConnectAsync("dev-1", version);
        var result = await client.PublishAsync(Message("a/b/c", "hello"), Ct);
        Assert.True(result.IsSuccess, result.ReasonCode.ToString());

        // Acknowledged means durable: the record must be readable (reads return durable records only) right now.
        var info = broker.Store.GetTopic("mqtt");
        Assert.NotNull(info);
        Assert.Equal(1, info.Partitions.Sum(p => p.DurableOffset));
        var record = Assert.Single(await broker.ReadAllAsync("mqtt"));
        Assert.Equal("hello", Encoding.UTF8.GetString(record.Value.Span));
        Assert.Equal("dev-1", Encoding.UTF8.GetString(record.Key!.Value.Span));
        Assert.Equal("a/b/c", Encoding.UTF8.GetString(record.GetHeader("mqtt.topic")!.Value.Span));
        Assert.Equal("1", Encoding.UTF8.GetString(record.GetHeader("mqtt.qos")!.Value.Span));
    }

    [Fact]
    public async Task Qos0_messages_are_stored_too()
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await broker.ConnectAsync("dev-q0");
        await client.PublishAsync(Message("x", "zero", MqttQualityOfServiceLevel.AtMostOnce), Ct);
        // QoS 0 has no acknowledgement: a QoS 1 publish after it on the same connection is appended after it.
        await client.PublishAsync(Message("x", "one"), Ct);
        var values = (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.Value.Span)).ToList();
        Assert.Equal(["zero", "one"], values);
    }

    [Fact]
    public async Task Routes_pick_log_topic_and_key_and_drop_rules_store_nothing()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Routes = [new() { Filter = "sensors/+/telemetry", Topic = "telemetry", Key = "{1}" }, new() { Filter = "debug/#", Drop = true }];
        });
        using var client = await broker.ConnectAsync("gw");
        Assert.True((await client.PublishAsync(Message("sensors/dev42/telemetry", "21.5"), Ct)).IsSuccess);
        Assert.True((await client.PublishAsync(Message("debug/trace", "noise"), Ct)).IsSuccess);
        Assert.True((await client.PublishAsync(Message("other", "x"), Ct)).IsSuccess);
        var record = Assert.Single(await broker.ReadAllAsync("telemetry"));
        Assert.Equal("dev42", Encoding.UTF8.GetString(record.Key!.Value.Span));
        Assert.Null(record.GetHeader("edgestream.priority"));
        Assert.Equal(["x"], (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.Value.Span)));
    }

    [Fact]
    public async Task Local_subscribers_receive_publishes_and_retained_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("state/door", "open", retain: true), Ct);

        using var subscriber = await broker.ConnectAsync("sub");
        var received = new List<(string Topic, string Payload, bool Retain)>();
        var two = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            lock (received)
            {
                received.Add((e.ApplicationMessage.Topic, e.ApplicationMessage.ConvertPayloadToString(), e.ApplicationMessage.Retain));
                if (received.Count == 2)
                {
                    two.TrySetResult();
                }
            }
            return Task.CompletedTask;
        };
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("state/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await publisher.PublishAsync(Message("state/window", "closed"), Ct);
        await two.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Contains(("state/door", "open", true), received);
        Assert.Contains(("state/window", "closed", false), received);
    }

    [Fact]
    public async Task A_will_is_published_to_subscribers_and_stored_when_a_client_drops()
    {
        await using var broker = await TestBroker.StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var will = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.ApplicationMessageReceivedAsync += e =>
        {
            will.TrySetResult(e.ApplicationMessage.ConvertPayloadToString());
            return Task.CompletedTask;
        };
        await watcher.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("status/+").Build(), Ct);

        var dying = new MqttClientFactory().CreateMqttClient();
        await dying.ConnectAsync(broker.ClientOptions("dying").WithWillTopic("status/dying").WithWillPayload("offline").Build(), Ct);
        dying.Dispose(); // drops the TCP connection without DISCONNECT

        Assert.Equal("offline", await will.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        var stored = await Poll.UntilAsync(async () => (await broker.ReadAllAsync("mqtt")).Count == 1 ? await broker.ReadAllAsync("mqtt") : null);
        Assert.Equal("status/dying", Encoding.UTF8.GetString(stored[0].GetHeader("mqtt.topic")!.Value.Span));
    }

    [Fact]
    public async Task Many_publishes_of_one_client_are_stored_in_publish_order()
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await broker.ConnectAsync("seq");
        var publishes = Enumerable.Range(0, 200).Select(i => client.PublishAsync(Message("seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Ct)).ToList();
        var results = await Task.WhenAll(publishes);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        var values = (await broker.ReadAllAsync("mqtt")).Select(r => int.Parse(Encoding.UTF8.GetString(r.Value.Span), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(0, 200), values);
    }
}

public sealed class EmptyClientIdTests
{
    [Fact]
    public async Task An_mqtt5_client_without_an_id_gets_one_assigned_and_durable_acks()
    {
        var ct = TestContext.Current.CancellationToken;
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        using var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("").Build(), ct);
        Assert.StartsWith("auto-", connected.AssignedClientIdentifier, StringComparison.Ordinal);
        var publish = client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("t").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        await gate!.FirstWaitStarted.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.False(publish.IsCompleted);
        gate.Release();
        Assert.True((await publish).IsSuccess);
        var record = Assert.Single(await broker.ReadAllAsync("mqtt"));
        Assert.Equal(connected.AssignedClientIdentifier, Encoding.UTF8.GetString(record.Key!.Value.Span));
    }
}
