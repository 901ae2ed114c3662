using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Log.Ingest;
using MQTTnet.Packets;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTTnet's outbound packet interception, which runs on each connection's send loop one packet at a time: takes every
/// PUBACK (QoS 1) and PUBREC (QoS 2) away from MQTTnet and queues it on the connection's <see cref="ConnectionAckWriter"/>,
/// which sends it once the log position recorded by <see cref="PublishIngestor"/> is durable. The send loop is
/// sequential, so the queue keeps publish order while the receive loop appends ahead. An acknowledgement leaves only on
/// the connection that received its PUBLISH (<see cref="SessionAcks"/>); one with no record, recorded by another
/// connection of the same client id, or refused by disconnecting, is dropped. Thread-safe.
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
        // Only this connection's send loop gets here, so the writer is made once.
        connection.AckWriter ??= new ConnectionAckWriter(connection, _log, _metrics, _time, _logger, args.CancellationToken);
        connection.AckWriter.Enqueue(pending, packetId, pubRec, reasonCode);
    }
}
