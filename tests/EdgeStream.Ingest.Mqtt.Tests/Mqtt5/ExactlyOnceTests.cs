using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>QoS 2 exactly once into the log: a retransmitted PUBLISH (DUP, same packet id, before PUBREL) is not stored twice.</summary>
public sealed class ExactlyOnceTests
{
    [Fact]
    public async Task A_qos2_retransmission_before_pubrel_is_acknowledged_but_stored_once()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var client = await RawMqtt311Client.ConnectAsync(broker.Port, "twice", cleanSession: true))
        {
            await client.PublishQos2Async("q2", "once", 7, dup: false);
            await client.ExpectAsync(RawMqtt311Client.PubRec, 7);
            await client.PublishQos2ExchangeAsync("q2", "once", 7, dup: true);

            // After PUBCOMP the identifier is free again: a new message with it (no DUP) is a new message.
            await client.PublishQos2ExchangeAsync("q2", "again", 7, dup: false);
        }
        var stored = await broker.ReadAllAsync("mqtt");
        Assert.Equal(["once", "again"], stored.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
        Assert.Equal("7", Encoding.UTF8.GetString(stored[0].GetHeader("mqtt.packet-id")!.Value.Span));
    }

    [Fact]
    public async Task A_qos2_retransmission_after_a_reconnect_of_a_persistent_session_is_stored_once()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (var first = await RawMqtt311Client.ConnectAsync(broker.Port, "flaky", cleanSession: false))
        {
            await first.PublishQos2Async("q2", "reading", 9, dup: false);
            await first.ExpectAsync(RawMqtt311Client.PubRec, 9);
        } // connection lost before PUBREL
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Clients.Get("flaky") is null ? "" : null));

        await using (var second = await RawMqtt311Client.ConnectAsync(broker.Port, "flaky", cleanSession: false))
        {
            await second.PublishQos2ExchangeAsync("q2", "reading", 9, dup: true);
        }
        Assert.Equal(["reading"], (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.Value.Span)));
    }
}
