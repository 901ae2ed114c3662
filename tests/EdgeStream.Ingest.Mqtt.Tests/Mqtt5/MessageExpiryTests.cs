using System.Globalization;
using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Message Expiry Interval: queued and retained copies expire; delivered copies carry what is left.</summary>
[Trait("Category", "Slow")]
public sealed class MessageExpiryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic, string payload, uint expiry, bool retain = false)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithMessageExpiryInterval(expiry).WithRetainFlag(retain).Build();

    [Fact]
    public async Task A_message_queued_for_an_offline_session_expires_and_a_surviving_one_carries_the_remaining_interval()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        var sub = await broker.ConnectAsync("offline", configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(3600));
        await sub.SubscribeAsync("q", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        await sub.DisconnectAsync(cancellationToken: Ct);
        sub.Dispose();

        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("q", "short", 10), Ct);
        await publisher.PublishAsync(Message("q", "long", 100), Ct);
        await publisher.PublishAsync(Message("q", "forever", 0), Ct);
        time.Advance(TimeSpan.FromSeconds(20));

        using var again = new MqttClientFactory().CreateMqttClient();
        var received = new MessageCollector(again);
        await again.ConnectAsync(broker.ClientOptions("offline").WithCleanStart(false).WithSessionExpiryInterval(3600).Build(), Ct);
        await Poll.UntilAsync(() => Task.FromResult(received.Messages.Any(m => m.ConvertPayloadToString() == "forever") ? "" : null));
        var messages = received.Messages;
        Assert.Equal(["long", "forever"], messages.Select(m => m.ConvertPayloadToString()));
        Assert.Equal(80u, messages[0].MessageExpiryInterval);
        Assert.Equal(0u, messages[1].MessageExpiryInterval);

        // The stored records keep the interval as received, for forwarders.
        var stored = await broker.ReadAllAsync("mqtt");
        Assert.Equal("10", Encoding.UTF8.GetString(stored[0].GetHeader("mqtt.message-expiry")!.Value.Span));
        Assert.Null(stored[2].GetHeader("mqtt.message-expiry"));
    }

    [Fact]
    public async Task An_expired_retained_message_is_not_sent_to_new_subscribers()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        using var publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync(Message("r/a", "stale", 10, retain: true), Ct);
        await publisher.PublishAsync(Message("r/b", "fresh", 0, retain: true), Ct);
        time.Advance(TimeSpan.FromSeconds(11));

        using var subscriber = await broker.ConnectAsync("late");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("r/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        await received.WaitForTopicAsync("r/b");
        await publisher.PublishAsync(Message("r/z", "sentinel", 0), Ct);
        await received.WaitForTopicAsync("r/z");
        Assert.DoesNotContain("r/a", received.Topics);
    }

    [Fact]
    public async Task Mosquitto_pub_message_expiry_reaches_a_live_subscriber_with_its_interval()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_pub"), "mosquitto-clients is not installed (test.sh installs it)");
        await using var broker = await TestBroker.StartAsync();
        using var subscriber = await broker.ConnectAsync("live");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("m", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        var pub = await ExternalProcess.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5",
            "-t", "m", "-q", "1", "-m", "hello", "-D", "publish", "message-expiry-interval", "300"], TimeSpan.FromSeconds(20));
        Assert.True(pub.ExitCode == 0, pub.Stderr);
        await received.WaitForTopicAsync("m");
        Assert.InRange(received.Messages[0].MessageExpiryInterval, 1u, 300u);
        Assert.Equal("300", Encoding.UTF8.GetString((await broker.ReadAllAsync("mqtt"))[0].GetHeader("mqtt.message-expiry")!.Value.Span));
    }
}
