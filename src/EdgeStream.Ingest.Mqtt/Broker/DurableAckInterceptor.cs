using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Log.Ingest;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTTnet's outbound packet interception, which runs on each connection's send loop one packet at a time: holds a
/// PUBACK (QoS 1) or PUBREC (QoS 2) until the log position recorded by <see cref="PublishIngestor"/> is durable.
/// Because the send loop is sequential, acknowledgements keep publish order while the receive loop appends ahead.
/// An acknowledgement leaves only on the connection that received its PUBLISH (<see cref="SessionAcks"/>); one with no
/// record, or recorded by another connection of the same client id, is dropped. A failed durability wait never becomes
/// a success: MQTT 5 gets 0x80, MQTT 3.1.1 is disconnected. Thread-safe.
/// </summary>
internal sealed class DurableAckInterceptor
{
    private readonly IIngestWriter _log;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public DurableAckInterceptor(IIngestWriter log, MqttIngestMetrics metrics, TimeProvider time, ILogger logger)
    {
        _log = log;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Inbound side: hands the PUBLISH packet (with its identifier) to the publish interception that follows.</summary>
    public Task InterceptInboundAsync(InterceptingPacketEventArgs args)
    {
        if (args.Packet is MqttPublishPacket publish)
        {
            BrokerConnection.Current?.Client?.SetCurrentPublish(publish);
        }
        return Task.CompletedTask;
    }

    public Task InterceptOutboundAsync(InterceptingPacketEventArgs args) => args.Packet switch
    {
        MqttPubAckPacket ack => Hold(args, ack.PacketIdentifier),
        MqttPubRecPacket rec => Hold(args, rec.PacketIdentifier),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// Synchronous unless the record is not durable yet: then one state machine per held acknowledgement, and no
    /// closure (the failure code is set by packet type, see <see cref="MarkFailed"/>).
    /// </summary>
    private Task Hold(InterceptingPacketEventArgs args, ushort packetId)
    {
        var current = BrokerConnection.Current?.Client;
        if (!SessionAcks.For(args.SessionItems, current).TryTake(packetId, out var pending))
        {
            // Nobody recorded this publish on this session: never acknowledge what was not seen stored.
            args.ProcessPacket = false;
            _metrics.Rejected("ack-unmatched");
            return Task.CompletedTask;
        }
        var connection = pending.Owner;
        ValueTask wait;
        try
        {
            if (!ReferenceEquals(connection, current) || pending.Action == AckAction.Suppress)
            {
                // Another connection's acknowledgement (its client was taken over and resends after reconnecting), or a
                // refusal by disconnect.
                args.ProcessPacket = false;
                connection.AckReleased();
                return Task.CompletedTask;
            }
            if (pending.Action == AckAction.Release)
            {
                connection.AckReleased();
                return Task.CompletedTask;
            }
            wait = _log.WaitForDurableAsync(pending.Topic!, pending.Partition, pending.Offset, args.CancellationToken);
            if (wait.IsCompletedSuccessfully)
            {
                wait.GetAwaiter().GetResult();
                _metrics.Acked("broker", _time.GetElapsedTime(pending.ReceivedAt));
                connection.AckReleased();
                return Task.CompletedTask;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return FailAsync(args, pending, e);
        }
        catch
        {
            connection.AckReleased();
            throw;
        }
        return AwaitDurableAsync(args, pending, wait);
    }

    private async Task AwaitDurableAsync(InterceptingPacketEventArgs args, PendingAck pending, ValueTask wait)
    {
        try
        {
            await wait;
            _metrics.Acked("broker", _time.GetElapsedTime(pending.ReceivedAt));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailAsync(args, pending, e);
            return;
        }
        catch
        {
            pending.Owner.AckReleased();
            throw;
        }
        pending.Owner.AckReleased();
    }

    /// <summary>A failed durability wait never becomes a success: MQTT 5 gets 0x80, MQTT 3.1.1 is disconnected.</summary>
    private async Task FailAsync(InterceptingPacketEventArgs args, PendingAck pending, Exception e)
    {
        var connection = pending.Owner;
        try
        {
            MqttIngestLog.DurabilityFailed(_logger, e, args.ClientId, pending.Topic!, pending.Partition, pending.Offset);
            _metrics.Rejected("durability-failed");
            if (connection.IsV5)
            {
                MarkFailed(args.Packet);
            }
            else
            {
                args.ProcessPacket = false;
                await connection.CloseAsync(MqttDisconnectReasonCode.UnspecifiedError);
            }
        }
        finally
        {
            connection.AckReleased();
        }
    }

    private static void MarkFailed(MqttPacket packet)
    {
        switch (packet)
        {
            case MqttPubAckPacket ack:
                ack.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
                break;
            case MqttPubRecPacket rec:
                rec.ReasonCode = MqttPubRecReasonCode.UnspecifiedError;
                break;
        }
    }
}
