using EdgeStream.Ingest.Mqtt.Limits;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTTnet's publish interception: checks limits and the ACL, routes, and appends to the log on the connection's
/// receive loop (so per-client order in the log is publish order). It does NOT wait for durability: it records the
/// log position against the packet identifier, and <see cref="DurableAckInterceptor"/> holds the PUBACK/PUBREC on the
/// connection's send loop until that position is durable. The receive loop is thus free to append the next publishes
/// while earlier acknowledgements wait, and acknowledgements still leave in publish order. Thread-safe.
/// </summary>
internal sealed class PublishIngestor
{
    private readonly IIngestLog _log;
    private readonly MqttRouter _router;
    private readonly MqttLimitsOptions _limits;
    private readonly ClientRegistry _clients;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, MqttDisconnectReasonCode, Task> _disconnect;
    private readonly ExactlyOnceGuard? _exactlyOnce;
    private readonly PayloadStamps? _durableStamps;

    public PublishIngestor(IIngestLog log, MqttRouter router, MqttLimitsOptions limits, ClientRegistry clients, MqttIngestMetrics metrics,
        TimeProvider time, ILogger logger, Func<string, MqttDisconnectReasonCode, Task> disconnect, ExactlyOnceGuard? exactlyOnce = null,
        PayloadStamps? durableStamps = null)
    {
        _exactlyOnce = exactlyOnce;
        _durableStamps = durableStamps;
        _log = log;
        _router = router;
        _limits = limits;
        _clients = clients;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _disconnect = disconnect;
    }

    public async Task InterceptAsync(InterceptingPublishEventArgs args)
    {
        var message = args.ApplicationMessage;
        var connection = _clients.Get(args.ClientId);
        // Null packet: a will (its client's ACL still applies: the connection leaves the registry only after the will
        // is dispatched) or an injected message.
        var packet = connection?.TakeCurrentPublish();
        // The handed-over packet must be this message's (a takeover can interleave two connections of one client id);
        // without a trustworthy packet identifier the durability wait happens inline below instead.
        var packetId = packet is not null && message.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce
            && packet.QualityOfServiceLevel == message.QualityOfServiceLevel && string.Equals(packet.Topic, message.Topic, StringComparison.Ordinal)
            ? packet.PacketIdentifier : (ushort)0;
        var receivedAt = _time.GetTimestamp();
        _metrics.Received("broker");

        if (!args.ProcessPublish || string.IsNullOrEmpty(message.Topic))
        {
            await RejectAsync(args, connection, packetId, "topic-invalid", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
            return;
        }
        if (message.Topic.Length > _limits.MaxTopicLength)
        {
            await RejectAsync(args, connection, packetId, "topic-too-long", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
            return;
        }
        if (message.Payload.Length > _limits.MaxPayloadBytes)
        {
            // PUBACK has no "packet too large" code: MQTT 5 answers with DISCONNECT 0x95.
            await RejectAsync(args, connection, packetId, "payload-too-large", MqttPubAckReasonCode.UnspecifiedError, MqttDisconnectReasonCode.PacketTooLarge, disconnectAlways: true);
            return;
        }
        if (connection is not null)
        {
            if (!connection.Acl.MayPublish(message.Topic))
            {
                await RejectAsync(args, connection, packetId, "not-authorized", MqttPubAckReasonCode.NotAuthorized, MqttDisconnectReasonCode.NotAuthorized);
                return;
            }
            if (packet is not null && connection.PublishLimiter is { } limiter && !PublishRateLimiterFactory.TryTake(limiter))
            {
                await RejectAsync(args, connection, packetId, "rate-limited", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
                return;
            }
            if (packetId != 0 && connection.InFlight >= _limits.MaxInFlightPerClient)
            {
                await RejectAsync(args, connection, packetId, "in-flight-exceeded", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
                return;
            }
        }

        var decision = _router.Route(message.Topic, args.ClientId, message.UserProperties);
        switch (decision.Outcome)
        {
            case RouteOutcome.Drop:
                MqttIngestLog.DroppedByRoute(_logger, args.ClientId, message.Topic, decision.Rule?.Name ?? "?");
                return; // delivered to local subscribers and acknowledged at once: the operator chose not to keep it.
            case RouteOutcome.InvalidTopic:
                await RejectAsync(args, connection, packetId, "log-topic-invalid", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
                return;
        }

        var qos2 = packetId != 0 && message.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce && _exactlyOnce is not null;
        if (qos2 && packet!.Dup && _exactlyOnce!.TryGetUnreleased(args.ClientId, packetId, out var original))
        {
            // A retransmission before PUBREL: stored and delivered already; PUBREC again once the original is durable.
            args.ProcessPublish = false;
            _metrics.Rejected("qos2-duplicate");
            connection!.AddPending(packetId, original with { ReceivedAt = receivedAt });
            return;
        }

        var record = MqttRecordFactory.Create(message, args.ClientId, decision, _time.GetUtcNow(), qos2PacketId: qos2 ? packetId : (ushort)0);
        AppendResult appended;
        try
        {
            appended = await _log.AppendAsync(decision.LogTopic!, record, args.CancellationToken);
        }
        catch (LogFullException)
        {
            await RejectAsync(args, connection, packetId, "log-full", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MqttIngestLog.AppendFailed(_logger, e, args.ClientId, decision.LogTopic!);
            await RejectAsync(args, connection, packetId, "append-failed", MqttPubAckReasonCode.UnspecifiedError, MqttDisconnectReasonCode.UnspecifiedError);
            return;
        }

        if (_durableStamps is not null)
        {
            // Mqtt:DeliverAfterDurable: local subscribers' copies wait for this position (see Mqtt5Features).
            var stamp = _durableStamps.For(message);
            (stamp.LogTopic, stamp.Partition, stamp.Offset) = (decision.LogTopic, appended.Partition, appended.LastOffset);
        }
        if (packetId != 0)
        {
            var pending = new PendingAck(decision.LogTopic, appended.Partition, appended.LastOffset, receivedAt);
            connection!.AddPending(packetId, pending);
            if (qos2)
            {
                _exactlyOnce!.Appended(args.ClientId, packetId, pending);
            }
        }
        else if (message.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce)
        {
            // Slow but safe path (wills, injected messages, a takeover race): whatever acknowledgement MQTTnet sends
            // after this returns, it is sent after durability.
            await _log.WaitForDurableAsync(decision.LogTopic!, appended.Partition, appended.LastOffset, args.CancellationToken);
        }
    }

    /// <summary>
    /// Refuses a publish: nothing is stored or delivered. MQTT 5 QoS 1/2 gets the reason code in its PUBACK/PUBREC;
    /// MQTT 3.1.1 (which has no reason codes) and violations without a PUBACK code are disconnected, and the
    /// acknowledgement MQTTnet would still queue is suppressed so nothing unstored is ever acknowledged.
    /// </summary>
    private async Task RejectAsync(InterceptingPublishEventArgs args, ClientConnection? connection, ushort packetId, string reason,
        MqttPubAckReasonCode code, MqttDisconnectReasonCode disconnectCode, bool disconnectAlways = false)
    {
        args.ProcessPublish = false;
        args.Response.ReasonCode = code;
        _metrics.Rejected(reason);
        var disconnect = connection is not null && (disconnectAlways || !connection.IsV5);
        if (disconnect && packetId != 0)
        {
            connection!.AddPending(packetId, new PendingAck(null, 0, 0, 0, Suppress: true));
        }
        var action = disconnect ? ", disconnected" : packetId == 0 ? ", QoS 0 dropped" : "";
        MqttIngestLog.PublishRejected(_logger, args.ClientId, args.ApplicationMessage.Topic ?? "", reason, disconnect ? (int)disconnectCode : (int)code, action);
        if (disconnect)
        {
            await _disconnect(args.ClientId, disconnectCode);
        }
    }
}
