using Microsoft.Extensions.Logging;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTTnet's outbound packet interception, which runs on each connection's send loop one packet at a time: holds a
/// PUBACK (QoS 1) or PUBREC (QoS 2) until the log position recorded by <see cref="PublishIngestor"/> is durable.
/// Because the send loop is sequential, acknowledgements keep publish order while the receive loop appends ahead.
/// A failed durability wait never becomes a success: MQTT 5 gets 0x80, MQTT 3.1.1 is disconnected. Thread-safe.
/// </summary>
internal sealed class DurableAckInterceptor
{
    private readonly IIngestLog _log;
    private readonly ClientRegistry _clients;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, MqttDisconnectReasonCode, Task> _disconnect;

    public DurableAckInterceptor(IIngestLog log, ClientRegistry clients, MqttIngestMetrics metrics, TimeProvider time, ILogger logger,
        Func<string, MqttDisconnectReasonCode, Task> disconnect)
    {
        _log = log;
        _clients = clients;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _disconnect = disconnect;
    }

    /// <summary>Inbound side: hands the PUBLISH packet (with its identifier) to the publish interception that follows.</summary>
    public Task InterceptInboundAsync(InterceptingPacketEventArgs args)
    {
        if (args.Packet is MqttPublishPacket publish)
        {
            _clients.Get(args.ClientId)?.SetCurrentPublish(publish);
        }
        return Task.CompletedTask;
    }

    public Task InterceptOutboundAsync(InterceptingPacketEventArgs args) => args.Packet switch
    {
        MqttPubAckPacket ack => HoldAsync(args, ack.PacketIdentifier, v5Failure: () => ack.ReasonCode = MqttPubAckReasonCode.UnspecifiedError),
        MqttPubRecPacket rec => HoldAsync(args, rec.PacketIdentifier, v5Failure: () => rec.ReasonCode = MqttPubRecReasonCode.UnspecifiedError),
        _ => Task.CompletedTask,
    };

    private async Task HoldAsync(InterceptingPacketEventArgs args, ushort packetId, Action v5Failure)
    {
        var connection = _clients.Get(args.ClientId);
        if (connection is null || !connection.TryTakePending(packetId, out var pending))
        {
            return; // a rejection with a reason code, a dropped-by-route message, or not ours: nothing to wait for.
        }
        if (pending.Suppress)
        {
            args.ProcessPacket = false;
            return;
        }
        try
        {
            await _log.WaitForDurableAsync(pending.Topic!, pending.Partition, pending.Offset, args.CancellationToken);
            _metrics.Acked("broker", _time.GetElapsedTime(pending.ReceivedAt));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MqttIngestLog.DurabilityFailed(_logger, e, args.ClientId, pending.Topic!, pending.Partition, pending.Offset);
            _metrics.Rejected("durability-failed");
            if (connection.IsV5)
            {
                v5Failure();
            }
            else
            {
                args.ProcessPacket = false;
                await _disconnect(args.ClientId, MqttDisconnectReasonCode.UnspecifiedError);
            }
        }
        finally
        {
            connection.AckReleased();
        }
    }
}
