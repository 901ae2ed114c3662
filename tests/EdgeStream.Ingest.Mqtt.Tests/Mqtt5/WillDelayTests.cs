using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>MQTT 5 wills: Will Delay Interval, the session expiry bound on it, reconnects and DISCONNECT 0x04.</summary>
public sealed class WillDelayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<IMqttClient> ConnectWithWillAsync(TestBroker broker, string id, uint delay, uint sessionExpiry)
        => broker.ConnectAsync(id, configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(sessionExpiry)
            .WithWillTopic("will/" + id).WithWillPayload("gone").WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillDelayInterval(delay));

    private static async Task<MessageCollector> WatchAsync(TestBroker broker, IMqttClient watcher)
    {
        var collector = new MessageCollector(watcher);
        await watcher.SubscribeAsync("will/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        return collector;
    }

    /// <summary>Drops the client's connection the way a power cut or a lost link does: no DISCONNECT.</summary>
    private static async Task DropAsync(TestBroker broker, string id)
    {
        (await broker.ConnectionAsync(id)).Transport!.Abort();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Get(id) is null ? "" : null));
    }

    [Fact]
    public async Task A_delayed_will_is_published_and_stored_once_its_delay_has_passed()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        using var device = await ConnectWithWillAsync(broker, "d1", delay: 30, sessionExpiry: 600);
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = await WatchAsync(broker, watcher);

        await DropAsync(broker, "d1");
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Wills.Pending == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, broker.Broker.Features.Wills.Pending); // still waiting: MQTTnet alone would have sent it already
        time.Advance(TimeSpan.FromSeconds(2));

        await seen.WaitForTopicAsync("will/d1");
        Assert.Equal(0, broker.Broker.Features.Wills.Pending);
        var stored = await Poll.UntilAsync(async () => (await broker.ReadAllAsync("mqtt")).FirstOrDefault(r => r.GetHeader("mqtt.topic") is { } t && System.Text.Encoding.UTF8.GetString(t.Span) == "will/d1"));
        Assert.Equal("gone", System.Text.Encoding.UTF8.GetString(stored.Value.Span));
    }

    [Fact]
    public async Task A_reconnect_within_the_delay_cancels_the_will()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        using var device = await ConnectWithWillAsync(broker, "d2", delay: 30, sessionExpiry: 600);
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = await WatchAsync(broker, watcher);

        await DropAsync(broker, "d2");
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Wills.Pending == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(10));
        using var back = await broker.ConnectAsync("d2", configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(600));
        // MQTTnet raises "connected" after CONNACK has gone out, so the cancellation is awaited, not assumed.
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Wills.Pending == 0 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(60));

        // A marker published after the delay passed arrives alone: the will never went out.
        await back.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("will/marker").WithPayload("m").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await seen.WaitForTopicAsync("will/marker");
        Assert.Equal(["will/marker"], seen.Topics);
    }

    [Fact]
    public async Task The_will_goes_out_when_the_session_expires_before_the_will_delay()
    {
        var time = new FakeTimeProvider();
        await using var broker = await TestBroker.StartAsync(time: time);
        using var device = await ConnectWithWillAsync(broker, "d3", delay: 300, sessionExpiry: 5);
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = await WatchAsync(broker, watcher);

        await DropAsync(broker, "d3");
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.Wills.Pending == 1 ? "" : null));
        time.Advance(TimeSpan.FromSeconds(6));
        await seen.WaitForTopicAsync("will/d3");
    }

    [Fact]
    public async Task A_disconnect_with_reason_0x04_publishes_the_will_and_a_normal_one_does_not()
    {
        await using var broker = await TestBroker.StartAsync();
        using var watcher = await broker.ConnectAsync("watcher");
        var seen = await WatchAsync(broker, watcher);

        using var normal = await ConnectWithWillAsync(broker, "n", delay: 0, sessionExpiry: 0);
        await normal.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection }, Ct);
        using var withWill = await ConnectWithWillAsync(broker, "w", delay: 0, sessionExpiry: 0);
        await withWill.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.DisconnectWithWillMessage }, Ct);

        // The normal disconnect came first; had it sent its will, that would have arrived first.
        await seen.WaitForTopicAsync("will/w");
        Assert.Equal(["will/w"], seen.Topics);
    }
}
