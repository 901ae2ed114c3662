using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Mqtt:DeliverAfterDurable: local subscribers see only messages that are durable in the log.</summary>
public sealed class DeliverAfterDurableTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_local_subscriber_receives_a_message_only_once_it_is_durable()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        using var subscriber = await broker.ConnectAsync("sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("d", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        using var publisher = await broker.ConnectAsync("pub");

        var publish = publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("d").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        // Two durability waits: the publisher's PUBACK and the subscriber's copy, both held by the gate.
        await Poll.UntilAsync(() => Task.FromResult(gate!.Waits >= 2 ? "" : null));
        Assert.Empty(received.Messages);

        gate!.Release();
        await received.WaitForTopicAsync("d");
        Assert.True((await publish).IsSuccess);
    }

    [Fact]
    public async Task With_deliver_after_durable_off_a_local_subscriber_receives_before_durability()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(o => o.DeliverAfterDurable = false, wrapLog: log => gate = new GatedIngestLog(log));
        using var subscriber = await broker.ConnectAsync("sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("d", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        using var publisher = await broker.ConnectAsync("pub");
        var publish = publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("d").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await received.WaitForTopicAsync("d");
        Assert.False(publish.IsCompleted); // the PUBACK still waits for durability
        gate!.Release();
        Assert.True((await publish).IsSuccess);
    }
}
