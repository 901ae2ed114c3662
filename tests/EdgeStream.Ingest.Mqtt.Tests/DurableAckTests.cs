using System.Globalization;
using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>PUBACK means durable: acknowledgements wait for the log's durability, and only for it.</summary>
public sealed class DurableAckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttApplicationMessage Qos(string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
        => new MqttApplicationMessageBuilder().WithTopic("t").WithPayload(payload).WithQualityOfServiceLevel(qos).Build();

    [Theory]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task No_acknowledgement_arrives_until_durability_completes(MqttProtocolVersion version, MqttQualityOfServiceLevel qos)
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        using var client = await broker.ConnectAsync("held", version);

        var publish = client.PublishAsync(Qos("m", qos), Ct);
        await gate!.FirstWaitStarted.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(1, gate.Appends);
        Assert.False(publish.IsCompleted, "the acknowledgement left before the message was durable");

        gate.Release();
        var result = await publish.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(result.IsSuccess);
    }

    [Fact]
    public async Task One_connection_keeps_many_publishes_in_flight_while_acks_wait_and_acks_keep_publish_order()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        var client = new MqttClientFactory().CreateMqttClient();
        var ackOrder = new List<ushort>();
        var publishOrder = new List<ushort>();
        client.InspectPacketAsync += e =>
        {
            // Raw packets on the wire: byte 0 high nibble is the packet type (3 = PUBLISH, 4 = PUBACK).
            var type = e.Buffer[0] >> 4;
            if (type is 3 or 4)
            {
                var list = e.Direction == MqttPacketFlowDirection.Inbound ? ackOrder : publishOrder;
                var id = type == 4 ? (ushort)((e.Buffer[2] << 8) | e.Buffer[3]) : PublishPacketId(e.Buffer);
                lock (list)
                {
                    list.Add(id);
                }
            }
            return Task.CompletedTask;
        };
        await client.ConnectAsync(broker.ClientOptions("window").Build(), Ct);

        var publishes = Enumerable.Range(0, 20).Select(i => client.PublishAsync(Qos(i.ToString(CultureInfo.InvariantCulture)), Ct)).ToList();
        // All twenty are appended while the first acknowledgement is still held: the receive loop is not blocked.
        await Poll.UntilAsync(() => Task.FromResult(gate!.Appends == 20 ? "" : null));
        Assert.DoesNotContain(publishes, p => p.IsCompleted);

        gate!.Release();
        var results = await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        lock (ackOrder)
        {
            Assert.Equal(20, ackOrder.Count);
            Assert.Equal(publishOrder, ackOrder);
        }
        client.Dispose();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task Qos1_acknowledgements_leave_without_mqttnet_building_or_queueing_a_puback(MqttProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        var built = 0;
        broker.Broker.Server.InterceptingOutboundPacketAsync += args =>
        {
            if (args.Packet is MQTTnet.Packets.MqttPubAckPacket)
            {
                Interlocked.Increment(ref built);
            }
            return Task.CompletedTask;
        };
        using var client = await broker.ConnectAsync("own-acks", version);
        var connection = await broker.ConnectionAsync("own-acks");

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PublishAsync(Qos(i.ToString(CultureInfo.InvariantCulture)), Ct)))
            .WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(50, (await broker.ReadAllAsync("mqtt")).Count);
        Assert.Equal(0, Volatile.Read(ref built));
        await Poll.UntilAsync(() => connection.InFlight == 0, what: "every acknowledgement released", cancellationToken: Ct);
    }

    [Fact]
    public async Task An_mqtt5_puback_says_no_matching_subscribers_only_when_nobody_subscribed()
    {
        await using var broker = await TestBroker.StartAsync();
        using var publisher = await broker.ConnectAsync("publisher");

        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, (await publisher.PublishAsync(Qos("alone"), Ct)).ReasonCode);

        using var subscriber = await broker.ConnectAsync("subscriber");
        await subscriber.SubscribeAsync("t", MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        var delivered = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            delivered.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        Assert.Equal(MqttClientPublishReasonCode.Success, (await publisher.PublishAsync(Qos("heard"), Ct)).ReasonCode);
        var message = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        // The publisher's QoS reaches the subscriber: only MQTTnet's own acknowledgement was skipped.
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
    }

    private static ushort PublishPacketId(ArraySegment<byte> packet)
    {
        // Fixed header: type byte, then a variable-length "remaining length"; then the topic (2-byte length + bytes).
        var i = 1;
        while ((packet[i] & 0x80) != 0)
        {
            i++;
        }
        i++;
        var topicLength = (packet[i] << 8) | packet[i + 1];
        i += 2 + topicLength;
        return (ushort)((packet[i] << 8) | packet[i + 1]);
    }

    [Fact]
    public async Task A_full_log_gets_quota_exceeded_on_mqtt5_and_nothing_is_acknowledged()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        gate!.Release();
        gate.FailAppend = r => Encoding.UTF8.GetString(r.Value.Span) == "refused" ? new EdgeStream.Log.LogFullException("mqtt", "disk budget") : null;
        using var client = await broker.ConnectAsync("full");
        Assert.True((await client.PublishAsync(Qos("kept"), Ct)).IsSuccess);
        var refused = await client.PublishAsync(Qos("refused"), Ct);
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, refused.ReasonCode);
        Assert.Equal(["kept"], (await broker.ReadAllAsync("mqtt")).Select(r => Encoding.UTF8.GetString(r.Value.Span)));
    }

    [Fact]
    public async Task A_full_log_disconnects_an_mqtt311_publisher_without_acknowledging()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        gate!.Release();
        gate.FailAppend = _ => new EdgeStream.Log.LogFullException("mqtt", "disk budget");
        using var client = await broker.ConnectAsync("full311", MqttProtocolVersion.V311);
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        var publish = client.PublishAsync(Qos("refused"), Ct);
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Assert.ThrowsAnyAsync<Exception>(() => publish.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Empty(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task Acknowledgements_made_durable_together_leave_in_one_socket_write_in_publish_order()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        using var client = await broker.ConnectAsync("together");
        var connection = await broker.ConnectionAsync("together");

        var publishes = Enumerable.Range(0, 20).Select(i => client.PublishAsync(Qos(i.ToString(CultureInfo.InvariantCulture)), Ct)).ToList();
        await Poll.UntilAsync(() => connection.AckWriter?.Queued == 20, what: "twenty acknowledgements queued behind the held one", cancellationToken: Ct);
        Assert.Equal(0, connection.Transport!.Channel!.ControlWrites);
        // All twenty durable in the log before the gate opens: one fsync, as far as the acknowledgements can tell.
        await gate!.WaitUntilAppendsDurableAsync(Ct);

        gate.Release();
        var results = await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(1, connection.Transport.Channel.ControlWrites);
        await Poll.UntilAsync(() => connection.InFlight == 0, what: "every acknowledgement released", cancellationToken: Ct);
    }

    [Fact]
    public async Task A_refusal_does_not_overtake_an_acknowledgement_still_waiting_for_durability()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxTopicLength = 20, wrapLog: log => gate = new GatedIngestLog(log));
        using var client = await broker.ConnectAsync("ordered");
        var connection = await broker.ConnectionAsync("ordered");

        var stored = client.PublishAsync(Qos("stored"), Ct);
        await gate!.FirstWaitStarted.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var refused = client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(new string('t', 21)).WithPayload("x")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        await Poll.UntilAsync(() => connection.AckWriter?.Queued == 2, what: "the refusal queued behind the held acknowledgement", cancellationToken: Ct);
        Assert.False(refused.IsCompleted, "the refusal's PUBACK overtook the earlier publish's");

        gate.Release();
        Assert.True((await stored.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, (await refused.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ReasonCode);
    }

    [Fact]
    public async Task A_failed_fsync_gets_0x80_on_mqtt5_and_the_acknowledgements_around_it_still_leave()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        gate!.FailWait = offset => offset == 1 ? new EdgeStream.Log.PartitionFailedException("mqtt", 0, new IOException("fsync: input/output error")) : null;
        using var client = await broker.ConnectAsync("fsync-failed");
        var connection = await broker.ConnectionAsync("fsync-failed");

        var publishes = Enumerable.Range(0, 3).Select(i => client.PublishAsync(Qos(i.ToString(CultureInfo.InvariantCulture)), Ct)).ToList();
        await Poll.UntilAsync(() => connection.AckWriter?.Queued == 3, what: "three acknowledgements queued", cancellationToken: Ct);
        gate.Release();
        var results = await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal([true, false, true], results.Select(r => r.IsSuccess));
        Assert.Equal(MqttClientPublishReasonCode.UnspecifiedError, results[1].ReasonCode);
        Assert.True(client.IsConnected);
        await Poll.UntilAsync(() => connection.InFlight == 0, what: "every acknowledgement released", cancellationToken: Ct);
    }

    [Fact]
    public async Task A_failed_fsync_disconnects_an_mqtt311_publisher_and_nothing_after_it_is_acknowledged()
    {
        GatedIngestLog? gate = null;
        await using var broker = await TestBroker.StartAsync(wrapLog: log => gate = new GatedIngestLog(log));
        gate!.FailWait = offset => offset == 1 ? new EdgeStream.Log.PartitionFailedException("mqtt", 0, new IOException("fsync: input/output error")) : null;
        using var client = await broker.ConnectAsync("fsync-failed-311", MqttProtocolVersion.V311);
        var connection = await broker.ConnectionAsync("fsync-failed-311");
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        var publishes = Enumerable.Range(0, 3).Select(i => client.PublishAsync(Qos(i.ToString(CultureInfo.InvariantCulture)), Ct)).ToList();
        await Poll.UntilAsync(() => connection.AckWriter?.Queued == 3, what: "three acknowledgements queued", cancellationToken: Ct);
        gate.Release();
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.True((await publishes[0].WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsSuccess);
        foreach (var unacknowledged in publishes.Skip(1))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => unacknowledged.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        }
        await Poll.UntilAsync(() => connection.InFlight == 0, what: "every acknowledgement released", cancellationToken: Ct);
    }
}
