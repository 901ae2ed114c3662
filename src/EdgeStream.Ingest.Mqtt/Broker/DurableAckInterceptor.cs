using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Log.Ingest;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Routes every acknowledgement of a received QoS 1/2 PUBLISH to the connection's <see cref="ConnectionAckWriter"/>,
/// which sends it once the log position recorded by <see cref="PublishIngestor"/> is durable.
/// <para>
/// A QoS 1 PUBACK never exists in MQTTnet: <see cref="Defer"/> marks the PUBLISH packet QoS 0 once it is handled
/// (MQTTnet decides to acknowledge from the packet, after the message it dispatches was made from it), so MQTTnet
/// neither builds a PUBACK nor wakes the connection's send loop for it, two thread-pool hops per message at the rates
/// devices publish. The receive loop queues it itself, when it asks for the next packet; MQTTnet has dispatched the
/// message by then and reported whether anyone subscribed (0x10). The receive loop is sequential, so PUBACKs keep
/// publish order.
/// </para>
/// <para>
/// A QoS 2 PUBREC comes from MQTTnet's send loop through <see cref="InterceptOutboundAsync"/> (sequential too, so
/// PUBRECs keep publish order) and leaves only on the connection that received its PUBLISH (<see cref="SessionAcks"/>).
/// Any acknowledgement MQTTnet still makes with no record, recorded by another connection of the same client id, or
/// refused by disconnecting, is dropped.
/// </para>
/// Thread-safe.
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

    /// <summary>
    /// Receive loop, publish interception: the QoS 1 <paramref name="packet"/> is acknowledged through the connection's
    /// writer, never by MQTTnet; a refusal by disconnecting (<see cref="AckAction.Suppress"/>) is not acknowledged at all.
    /// </summary>
    public void Defer(InterceptingPublishEventArgs args, ClientConnection connection, MqttPublishPacket packet, in PendingAck pending, byte reasonCode)
    {
        packet.QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce;
        if (pending.Action != AckAction.Suppress)
        {
            connection.DeferAck(WriterOf(connection, args.CancellationToken), pending, packet.PacketIdentifier, reasonCode, args.ApplicationMessage);
        }
    }

    /// <summary>MQTTnet's "not consumed" event, raised on the publisher's receive loop while it dispatches.</summary>
    public Task NotConsumedAsync(ApplicationMessageNotConsumedEventArgs args)
    {
        BrokerConnection.Current?.Client?.NoMatchingSubscribers(args.ApplicationMessage);
        return Task.CompletedTask;
    }

    public Task InterceptOutboundAsync(InterceptingPacketEventArgs args)
    {
        switch (args.Packet)
        {
            case MqttPubAckPacket ack:
                Hold(args, ack.PacketIdentifier, pubRec: false, (byte)ack.ReasonCode);
                break;
            case MqttPubRecPacket rec:
                Hold(args, rec.PacketIdentifier, pubRec: true, (byte)rec.ReasonCode);
                break;
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// MQTTnet never sends the acknowledgement itself: it leaves through the connection's <see cref="ConnectionAckWriter"/>
    /// (in order, once durable), or not at all.
    /// </summary>
    private void Hold(InterceptingPacketEventArgs args, ushort packetId, bool pubRec, byte reasonCode)
    {
        args.ProcessPacket = false;
        var current = BrokerConnection.Current?.Client;
        if (!SessionAcks.For(args.SessionItems, current).TryTake(packetId, out var pending))
        {
            // Nobody recorded this publish on this session: never acknowledge what was not seen stored.
            _metrics.Rejected("ack-unmatched");
            return;
        }
        var connection = pending.Owner;
        if (!ReferenceEquals(connection, current) || pending.Action == AckAction.Suppress)
        {
            // Another connection's acknowledgement (its client was taken over and resends after reconnecting), or a
            // refusal by disconnect.
            connection.AckReleased();
            return;
        }
        WriterOf(connection, args.CancellationToken).Enqueue(pending, packetId, pubRec, reasonCode);
    }

    // Both loops run on MQTTnet's token for the connection, which ends the writer's waits.
    private ConnectionAckWriter WriterOf(ClientConnection connection, CancellationToken stopping)
        => connection.AckWriter ?? connection.InstallAckWriter(new ConnectionAckWriter(connection, _log, _metrics, _time, _logger, stopping));
}
