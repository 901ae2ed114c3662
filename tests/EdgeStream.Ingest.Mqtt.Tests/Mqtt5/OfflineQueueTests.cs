using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>
/// Messages queued for a persistent session while its client is disconnected: QoS 1/2 ones reach it, in order, when it
/// resumes; QoS 0 ones are not queued; beyond the per-session caps (count and bytes) and the total byte cap new ones
/// are dropped for good.
/// </summary>
public sealed class OfflineQueueTests
{
    private const string Id = "offline";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic, MqttQualityOfServiceLevel qos)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(topic).WithQualityOfServiceLevel(qos).Build();

    private static MqttClientOptionsBuilder Persistent(TestBroker broker, MqttProtocolVersion version)
        => broker.ClientOptions(Id, version).WithCleanStart(false).WithCleanSession(false).WithSessionExpiryInterval(600);

    private static async Task DisconnectAsync(TestBroker broker, IMqttClient client)
    {
        await client.DisconnectAsync(cancellationToken: Ct);
        client.Dispose();
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Get(Id) is null ? "" : null));
    }

    private static async Task GoOfflineAsync(TestBroker broker, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(Persistent(broker, version).Build(), Ct);
        await client.SubscribeAsync("q/#", MqttQualityOfServiceLevel.ExactlyOnce, Ct);
        await DisconnectAsync(broker, client);
    }

    /// <summary>Publishes in order; the publisher's QoS 1/2 publishes return once MQTTnet has queued them (and the ones before).</summary>
    private static async Task PublishAsync(TestBroker broker, params (string Topic, MqttQualityOfServiceLevel Qos)[] messages)
    {
        using var publisher = await broker.ConnectAsync("pub");
        foreach (var (topic, qos) in messages)
        {
            await publisher.PublishAsync(Message(topic, qos), Ct);
        }
    }

    private static async Task<(IMqttClient Client, MessageCollector Received)> ResumeAsync(TestBroker broker, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var received = new MessageCollector(client);
        var result = await client.ConnectAsync(Persistent(broker, version).Build(), Ct);
        Assert.True(result.IsSessionPresent);
        return (client, received);
    }

    private static async Task<long> PendingAsync(TestBroker broker) => (await broker.Broker.Server.GetSessionAsync(Id)).PendingApplicationMessagesCount;

    private static (MeterListener Listener, ConcurrentDictionary<string, long> Rejected) ListenToRejections(TestBroker broker)
    {
        var rejected = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, broker.Metrics.Meter) && instrument.Name == "edgestream.mqtt.messages.rejected")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "reason")
                {
                    rejected.AddOrUpdate((string)t.Value!, v, (_, old) => old + v);
                }
            }
        });
        listener.Start();
        return (listener, rejected);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtLeastOnce)]
    public async Task Qos1_and_qos2_messages_queued_while_a_session_is_offline_are_all_delivered_in_order_when_it_resumes(MqttProtocolVersion version, MqttQualityOfServiceLevel qos)
    {
        await using var broker = await TestBroker.StartAsync();
        await GoOfflineAsync(broker, version);
        string[] topics = ["q/0", "q/1", "q/2", "q/3", "q/4"];
        await PublishAsync(broker, [.. topics.Select(t => (t, qos))]);
        Assert.Equal(5, await PendingAsync(broker));

        var (client, received) = await ResumeAsync(broker, version);
        using (client)
        {
            await received.WaitUntilAsync(() => received.Messages.Count >= topics.Length);
            Assert.Equal(topics, received.Topics);
            Assert.All(received.Messages, m => Assert.Equal(qos, m.QualityOfServiceLevel));
        }
    }

    [Fact]
    public async Task Qos0_messages_are_not_queued_for_an_offline_session_and_take_no_room_from_qos1_ones()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedMessages = 3);
        var (listener, rejected) = ListenToRejections(broker);
        using (listener)
        {
            await GoOfflineAsync(broker);
            // The QoS 1 publishes come last: when they are acknowledged, the QoS 0 ones before them were dispatched too.
            await PublishAsync(broker, ("q/a", MqttQualityOfServiceLevel.AtMostOnce), ("q/b", MqttQualityOfServiceLevel.AtMostOnce),
                ("q/c", MqttQualityOfServiceLevel.AtMostOnce), ("q/1", MqttQualityOfServiceLevel.AtLeastOnce), ("q/2", MqttQualityOfServiceLevel.AtLeastOnce));
            Assert.Equal(2, await PendingAsync(broker));
            Assert.Equal(3, rejected.GetValueOrDefault("qos0-offline"));

            var (client, received) = await ResumeAsync(broker);
            using (client)
            {
                await received.WaitUntilAsync(() => received.Messages.Count >= 2);
                Assert.Equal(["q/1", "q/2"], received.Topics);
            }
        }
    }

    [Fact]
    public async Task Messages_beyond_the_session_queue_cap_are_dropped_for_good_and_counted()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedMessages = 3);
        var (listener, rejected) = ListenToRejections(broker);
        using (listener)
        {
            await GoOfflineAsync(broker);
            await PublishAsync(broker, [.. Enumerable.Range(0, 6).Select(i => ($"q/{i}", MqttQualityOfServiceLevel.AtLeastOnce))]);
            Assert.Equal(3, await PendingAsync(broker));
            Assert.Equal(3, rejected.GetValueOrDefault("queue-full"));

            var (client, received) = await ResumeAsync(broker);
            await received.WaitUntilAsync(() => received.Messages.Count >= 3);
            Assert.Equal(["q/0", "q/1", "q/2"], received.Topics);
            await DisconnectAsync(broker, client);

            // The dropped ones do not come back on a later resume: a new message is the next one received.
            (client, received) = await ResumeAsync(broker);
            using (client)
            {
                await PublishAsync(broker, ("q/new", MqttQualityOfServiceLevel.AtLeastOnce));
                await received.WaitForTopicAsync("q/new");
                Assert.Equal(["q/new"], received.Topics);
            }
        }
    }

    /// <summary>Publishes <paramref name="count"/> QoS 1 messages of <paramref name="bytes"/> payload bytes on q/{first}, q/{first+1}, ….</summary>
    private static Task PublishLargeAsync(TestBroker broker, int first, int count, int bytes)
        => PublishAsync(broker, [.. Enumerable.Range(first, count).Select(i => ($"q/{i}", MqttQualityOfServiceLevel.AtLeastOnce))], bytes);

    private static async Task PublishAsync(TestBroker broker, (string Topic, MqttQualityOfServiceLevel Qos)[] messages, int payloadBytes)
    {
        using var publisher = await broker.ConnectAsync("pub");
        foreach (var (topic, qos) in messages)
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[payloadBytes]).WithQualityOfServiceLevel(qos).Build(), Ct);
        }
    }

    [Fact]
    public async Task Messages_beyond_the_session_byte_cap_are_not_queued_and_the_session_takes_as_many_again_once_it_has_received_them()
    {
        // Without a recount (fake time): what frees the room is the delivery itself.
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedBytes = 50_000, time: new FakeTimeProvider());
        var (listener, rejected) = ListenToRejections(broker);
        using (listener)
        {
            await GoOfflineAsync(broker);
            await PublishLargeAsync(broker, 0, 6, 20_000); // room for two: 2 × 20,003 bytes, a third would pass 50,000
            Assert.Equal(2, await PendingAsync(broker));
            Assert.Equal(4, rejected.GetValueOrDefault("queue-bytes-full"));
            Assert.Equal(6, (await broker.ReadAllAsync("mqtt")).Count); // the publisher's messages are all stored

            var (client, received) = await ResumeAsync(broker);
            await received.WaitUntilAsync(() => received.Messages.Count >= 2);
            Assert.Equal(["q/0", "q/1"], received.Topics);
            await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Features.QueuedBytes.Of(Id) == 0 ? "" : null));
            await DisconnectAsync(broker, client);

            await PublishLargeAsync(broker, 6, 6, 20_000);
            Assert.Equal(2, await PendingAsync(broker));
            (client, received) = await ResumeAsync(broker);
            using (client)
            {
                await received.WaitUntilAsync(() => received.Messages.Count >= 2);
                Assert.Equal(["q/6", "q/7"], received.Topics);
            }
        }
    }

    [Fact]
    public async Task User_properties_count_against_the_session_byte_cap_not_only_the_payload()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedBytes = 50_000);
        await GoOfflineAsync(broker);
        using (var publisher = await broker.ConnectAsync("pub"))
        {
            for (var i = 0; i < 6; i++)
            {
                // One payload byte, 20,000 bytes of user property: room for two.
                await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"q/{i}").WithPayload("x")
                    .WithUserProperty("blob", new ReadOnlyMemory<byte>(new byte[20_000])).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
            }
        }
        Assert.Equal(2, await PendingAsync(broker));
    }

    [Fact]
    public async Task A_message_larger_than_the_session_byte_cap_is_still_queued_to_an_empty_session()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedBytes = 1_000);
        await GoOfflineAsync(broker);
        await PublishLargeAsync(broker, 0, 3, 5_000);
        Assert.Equal(1, await PendingAsync(broker));
    }

    [Fact]
    public async Task Messages_stop_being_queued_for_any_session_at_the_total_byte_cap()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Sessions.MaxQueuedBytesTotal = 100_000);
        var (listener, rejected) = ListenToRejections(broker);
        using (listener)
        {
            foreach (var id in (string[])["off-a", "off-b"])
            {
                using var client = await broker.ConnectAsync(id, configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(600));
                await client.SubscribeAsync("q/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
                await client.DisconnectAsync(cancellationToken: Ct);
            }
            await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Count == 0 ? "" : null));

            // Ten copies of 20,003 bytes for each of two sessions, well within the count caps: four fit in 100,000.
            await PublishLargeAsync(broker, 0, 10, 20_000);
            var sessions = await broker.Broker.Server.GetSessionsAsync();
            Assert.Equal(4, sessions.Where(s => s.Id.StartsWith("off-", StringComparison.Ordinal)).Sum(s => s.PendingApplicationMessagesCount));
            Assert.Equal(16, rejected.GetValueOrDefault("queue-total-bytes-full"));
            Assert.True(broker.Broker.Features.QueuedBytes.Total <= 100_000);
            Assert.Equal(10, (await broker.ReadAllAsync("mqtt")).Count);
        }
    }
}
