using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>What an MQTT 5 client asks of the broker's publishes in CONNECT: Receive Maximum and Maximum Packet Size.</summary>
public sealed class OutboundLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Message(string topic, int size)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[size]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task No_more_than_the_clients_receive_maximum_publishes_are_unacknowledged_at_once()
    {
        await using var broker = await TestBroker.StartAsync();
        using var slow = await broker.ConnectAsync("slow", configure: b => b.WithReceiveMaximum(2));
        var held = new List<MqttApplicationMessageReceivedEventArgs>();
        slow.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false; // the test acknowledges by hand
            lock (held)
            {
                held.Add(e);
            }
            return Task.CompletedTask;
        };
        await slow.SubscribeAsync("rm/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        using var publisher = await broker.ConnectAsync("pub");
        for (var i = 0; i < 5; i++)
        {
            await publisher.PublishAsync(Message($"rm/{i}", 8), Ct);
        }

        var outbound = (await broker.ConnectionAsync("slow")).Transport!.Adapter!.Outbound!;
        await Poll.UntilAsync(() => Task.FromResult(outbound.Waiting == 3 ? "" : null));
        int Received()
        {
            lock (held)
            {
                return held.Count;
            }
        }
        await Poll.UntilAsync(() => Task.FromResult(Received() == 2 ? "" : null));
        Assert.Equal(3, outbound.Waiting); // the three others are still here, not on the wire

        await held[0].AcknowledgeAsync(Ct);
        await Poll.UntilAsync(() => Task.FromResult(Received() == 3 ? "" : null));
        for (var i = 1; i < 3; i++)
        {
            await held[i].AcknowledgeAsync(Ct);
        }
        await Poll.UntilAsync(() => Task.FromResult(Received() == 5 ? "" : null));
        Assert.Equal(["rm/0", "rm/1", "rm/2", "rm/3", "rm/4"], held.Select(e => e.ApplicationMessage.Topic));
    }

    [Fact]
    public async Task A_publish_larger_than_the_clients_maximum_packet_size_is_dropped_and_later_ones_still_arrive()
    {
        await using var broker = await TestBroker.StartAsync();
        using var small = await broker.ConnectAsync("small", configure: b => b.WithMaximumPacketSize(100));
        var seen = new MessageCollector(small);
        await small.SubscribeAsync("mps/#", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        using var publisher = await broker.ConnectAsync("pub");

        await publisher.PublishAsync(Message("mps/big", 200), Ct);
        await publisher.PublishAsync(Message("mps/small", 10), Ct);

        // The big one was enqueued first; the small one arriving alone shows it was dropped, not delayed.
        await seen.WaitForTopicAsync("mps/small");
        Assert.Equal(["mps/small"], seen.Topics);
        Assert.True(small.IsConnected);
        // Dropped "as if sent": MQTTnet's session holds nothing unacknowledged for it.
        await Poll.UntilAsync(async () => (await broker.Broker.Server.GetSessionAsync("small")).PendingApplicationMessagesCount == 0 ? "" : null);
    }
}
