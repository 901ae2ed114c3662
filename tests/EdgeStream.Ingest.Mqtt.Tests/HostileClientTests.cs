using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// Unauthenticated and misbehaving peers on raw sockets: memory per connection is bounded before a packet is buffered,
/// connections that do not complete CONNECT go away, and good clients keep working meanwhile.
/// </summary>
public sealed class HostileClientTests
{
    private const long Claim256MB = 268_435_455; // 256 MiB - 1: the largest remaining length MQTT can encode

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Qos1(string topic)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>Claims a huge CONNECT, streams some of it, and reports whether the broker closed the connection.</summary>
    private static async Task<bool> AttackAsync(RawMqtt raw, long claim, int streamBytes)
    {
        var closed = raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(20));
        if (await raw.TrySendAsync(RawMqtt.Header(0x10, claim)))
        {
            var chunk = new byte[16 * 1024];
            for (var sent = 0; sent < streamBytes && !closed.IsCompleted; sent += chunk.Length)
            {
                if (!await raw.TrySendAsync(chunk))
                {
                    break;
                }
            }
        }
        return await closed;
    }

    [Fact]
    public async Task A_connect_claiming_256_MB_is_closed_before_its_body_is_buffered()
    {
        await using var broker = await TestBroker.StartAsync();
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        Assert.True(await AttackAsync(raw, Claim256MB, 4 * 1024 * 1024), "the broker kept reading a 256 MB CONNECT");
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Transport.OpenConnections == 0 && broker.Broker.Transport.PendingConnections == 0 ? "" : null));
    }

    [Fact]
    public async Task A_hundred_connections_claiming_256_MB_each_are_closed_while_a_good_client_keeps_publishing()
    {
        await using var broker = await TestBroker.StartAsync();
        using var good = await broker.ConnectAsync("good");
        var attackers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => RawMqtt.OpenAsync(broker.Port)));
        try
        {
            var attacks = attackers.Select(a => AttackAsync(a, Claim256MB, 64 * 1024)).ToList();
            for (var i = 0; i < 20; i++)
            {
                Assert.True((await good.PublishAsync(Qos1("good/t"), Ct)).IsSuccess);
            }
            Assert.All(await Task.WhenAll(attacks), Assert.True);
        }
        finally
        {
            foreach (var a in attackers)
            {
                a.Dispose();
            }
        }
        Assert.Equal(20, (await broker.ReadAllAsync("mqtt")).Count);
        Assert.True(good.IsConnected);
    }

    [Fact]
    public async Task An_oversized_publish_gets_disconnect_0x95_before_its_body_arrives_and_connack_announces_the_limit()
    {
        var logger = new ListLogger();
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPayloadBytes = 1024, logger: logger);
        using (var client = new MqttClientFactory().CreateMqttClient())
        {
            var result = await client.ConnectAsync(broker.ClientOptions("polite").Build(), Ct);
            Assert.Equal((uint)(1024 + 65_536), result.MaximumPacketSize);
            Assert.Equal((ushort)16, result.TopicAliasMaximum);
        }

        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("big5"));
        var connack = await raw.ReadPacketAsync();
        Assert.Equal((byte)0x20, connack?.Type);
        Assert.Equal(0, connack!.Value.Body[1]);
        // Only the header of a 10 MB PUBLISH: the broker must answer without waiting for (or allocating) the body.
        await raw.TrySendAsync(RawMqtt.Header(0x32, 10 * 1024 * 1024));
        var disconnect = await raw.ReadPacketAsync();
        Assert.True(disconnect?.Type == 0xE0, logger.ToString());
        Assert.Equal((byte)MqttDisconnectReasonCode.PacketTooLarge, disconnect!.Value.Body[0]);
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_oversized_publish_closes_an_mqtt311_connection_before_its_body_arrives()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPayloadBytes = 1024);
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("big3", level: 4));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Header(0x32, 10 * 1024 * 1024));
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_connection_that_does_not_complete_connect_in_time_is_closed()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.ConnectTimeout = TimeSpan.FromSeconds(1));
        using var silent = await RawMqtt.OpenAsync(broker.Port);
        using var slow = await RawMqtt.OpenAsync(broker.Port);
        await slow.TrySendAsync(RawMqtt.Connect("slow")[..6]); // a CONNECT that never finishes
        Assert.True(await silent.ClosedByBrokerAsync(TimeSpan.FromSeconds(15)));
        Assert.True(await slow.ClosedByBrokerAsync(TimeSpan.FromSeconds(15)));
        using var good = await broker.ConnectAsync("after-timeouts");
        Assert.True((await good.PublishAsync(Qos1("t"), Ct)).IsSuccess);
    }

    [Fact]
    public async Task Connections_beyond_the_pending_connect_cap_are_closed_at_accept()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPendingConnections = 2);
        var idle = new[] { await RawMqtt.OpenAsync(broker.Port), await RawMqtt.OpenAsync(broker.Port) };
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Transport.PendingConnections == 2 ? "" : null));
        using (var third = await RawMqtt.OpenAsync(broker.Port))
        {
            Assert.True(await third.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        }
        foreach (var i in idle)
        {
            i.Dispose();
        }
        await Poll.UntilAsync(() => Task.FromResult(broker.Broker.Transport.PendingConnections == 0 ? "" : null));
        using var good = await broker.ConnectAsync("after-cap");
        Assert.True(good.IsConnected);
    }

    [Fact]
    public async Task The_connect_rate_per_address_closes_a_burst_beyond_its_bucket()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Limits.ThrottleLoopback = true;
            o.Limits.ConnectRatePerAddress = 0.001; // no refill within the test
            o.Limits.ConnectBurstPerAddress = 2;
        });
        using var first = await broker.ConnectAsync("r1");
        using var second = await broker.ConnectAsync("r2");
        using var third = await RawMqtt.OpenAsync(broker.Port);
        await third.TrySendAsync(RawMqtt.Connect("r3"));
        Assert.Null(await third.ReadPacketAsync()); // closed without a CONNACK
        Assert.True(first.IsConnected && second.IsConnected);
    }

    [Fact]
    public async Task Topic_aliases_beyond_the_announced_maximum_get_disconnect_0x94()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Limits.TopicAliasMaximum = 2);
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("alias"));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Publish5("a/b", 1, [1], topicAlias: 2));
        Assert.Equal((byte)0x40, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Publish5("", 2, [2], topicAlias: 2));
        Assert.Equal((byte)0x40, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Publish5("c/d", 3, [3], topicAlias: 3));
        var disconnect = await raw.ReadPacketAsync();
        Assert.Equal((byte)0xE0, disconnect?.Type);
        Assert.Equal((byte)MqttDisconnectReasonCode.TopicAliasInvalid, disconnect!.Value.Body[0]);
        Assert.Equal(["a/b", "a/b"], (await broker.ReadAllAsync("mqtt")).Select(r => System.Text.Encoding.UTF8.GetString(r.GetHeader("mqtt.topic")!.Value.Span)));
    }

    [Fact]
    public async Task An_unknown_topic_alias_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("alias2"));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Publish5("", 1, [1], topicAlias: 1));
        var disconnect = await raw.ReadPacketAsync();
        Assert.Equal((byte)0xE0, disconnect?.Type);
        Assert.Equal((byte)MqttDisconnectReasonCode.ProtocolError, disconnect!.Value.Body[0]);
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task A_topic_alias_of_zero_gets_disconnect_0x94_and_nothing_is_stored()
    {
        await using var broker = await TestBroker.StartAsync();
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("alias0"));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        // QoS 1 PUBLISH "t/0", packet id 1, properties: User Property then Topic Alias 0 (MQTT-3.3.2-8).
        byte[] properties = [0x26, .. RawMqtt.Str("k"), .. RawMqtt.Str("v"), 0x23, 0, 0];
        await raw.TrySendAsync(RawMqtt.Packet(0x32, [.. RawMqtt.Str("t/0"), 0, 1, (byte)properties.Length, .. properties, 42]));
        var disconnect = await raw.ReadPacketAsync();
        Assert.Equal((byte)0xE0, disconnect?.Type);
        Assert.Equal((byte)MqttDisconnectReasonCode.TopicAliasInvalid, disconnect!.Value.Body[0]);
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task A_publish_to_a_topic_name_with_a_wildcard_or_a_null_character_gets_0x90_and_is_neither_stored_nor_retained()
    {
        // MQTT-3.3.2-2 (no + or # in a topic name) and MQTT-1.5.4-2 (no U+0000): MQTTnet's server checks neither.
        await using var broker = await TestBroker.StartAsync();
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("wild"));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        ushort id = 0;
        foreach (var topic in new[] { "a/#", "a/+/b", "+", "a/\0/b" })
        {
            id++;
            // QoS 1 with retain: a retained message on "a/#" would be sent to every later subscriber of a/#.
            await raw.TrySendAsync(RawMqtt.Packet(0x33, [.. RawMqtt.Str(topic), (byte)(id >> 8), (byte)id, 0, 1, 2, 3]));
            var ack = await raw.ReadPacketAsync();
            Assert.Equal((byte)0x40, ack?.Type);
            Assert.Equal((byte)MqttPubAckReasonCode.TopicNameInvalid, ack!.Value.Body[2]);
        }
        await raw.TrySendAsync(RawMqtt.Publish5("a/b", 100, [4]));
        Assert.Equal((byte)0x40, (await raw.ReadPacketAsync())?.Type);
        Assert.Equal(["a/b"], (await broker.ReadAllAsync("mqtt")).Select(r => System.Text.Encoding.UTF8.GetString(r.GetHeader("mqtt.topic")!.Value.Span)));
        Assert.Empty(await broker.Broker.Server.GetRetainedMessagesAsync());
    }

    [Fact]
    public async Task An_mqtt311_client_publishing_to_a_topic_name_with_a_wildcard_is_disconnected_and_nothing_is_stored()
    {
        await using var broker = await TestBroker.StartAsync();
        using var raw = await RawMqtt.OpenAsync(broker.Port);
        await raw.TrySendAsync(RawMqtt.Connect("wild311", level: 4));
        Assert.Equal((byte)0x20, (await raw.ReadPacketAsync())?.Type);
        await raw.TrySendAsync(RawMqtt.Packet(0x32, [.. RawMqtt.Str("a/#"), 0, 1, 42]));
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }
}
