using MQTTnet;
using MQTTnet.Packets;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Ingest.Mqtt.Limits;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTTnet's publish interception: checks limits and the ACL, routes, and appends to the log on the connection's
/// receive loop (so per-client order in the log is publish order). It does NOT wait for durability: it records the log
/// position against the packet identifier, and <see cref="DurableAckInterceptor"/> has the connection's
/// <see cref="ConnectionAckWriter"/> hold the PUBACK/PUBREC until that position is durable. The receive loop is thus
/// free to append the next publishes while earlier acknowledgements wait, and acknowledgements still leave in publish
/// order. Every QoS 1/2 publish with a known packet identifier is recorded for its own connection (the one running the
/// receive loop, <see cref="BrokerConnection.Current"/>): QoS 1 on the connection itself, QoS 2 in
/// <see cref="SessionAcks"/>, so ACL, rate, in-flight and acknowledgements never mix between two connections of one
/// client id. Thread-safe.
/// </summary>
internal sealed class PublishIngestor
{
    private readonly IIngestWriter _log;
    private readonly MqttRouter _router;
    private readonly MqttLimitsOptions _limits;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ExactlyOnceGuard? _exactlyOnce;
    private readonly PayloadStamps? _durableStamps;
    private readonly ExactlyOnceRecovery? _recovery;
    private readonly DurableAckInterceptor _acks;
    private readonly RetainedLimit? _retained;

    public PublishIngestor(IIngestWriter log, MqttRouter router, MqttLimitsOptions limits, MqttIngestMetrics metrics, TimeProvider time, ILogger logger,
        DurableAckInterceptor acks, ExactlyOnceGuard? exactlyOnce = null, PayloadStamps? durableStamps = null, ExactlyOnceRecovery? recovery = null,
        RetainedLimit? retained = null)
    {
        _retained = retained;
        _acks = acks;
        _recovery = recovery;
        _exactlyOnce = exactlyOnce;
        _durableStamps = durableStamps;
        _log = log;
        _router = router;
        _limits = limits;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public async Task InterceptAsync(InterceptingPublishEventArgs args)
    {
        var message = args.ApplicationMessage;
        // The connection whose receive loop runs this (a will runs on its own connection's flow, so its ACL applies).
        var connection = BrokerConnection.Current?.Client;
        // Null packet: a will or an injected message.
        var packet = connection?.TakeCurrentPublish();
        // The handed-over packet must be this message's; without a trustworthy packet identifier the durability wait
        // happens inline below instead.
        var packetId = packet is not null && message.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce
            && packet.QualityOfServiceLevel == message.QualityOfServiceLevel && string.Equals(packet.Topic, message.Topic, StringComparison.Ordinal)
            ? packet.PacketIdentifier : (ushort)0;
        // The packet whose acknowledgement EdgeStream sends (or withholds); null when there is none to send.
        var acked = packetId != 0 ? packet : null;
        var receivedAt = _time.GetTimestamp();
        _metrics.Received("broker");

        if (!args.ProcessPublish || !IsValidTopicName(message.Topic))
        {
            await RejectAsync(args, connection, acked, "topic-invalid", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
            return;
        }
        if (message.Topic.Length > _limits.MaxTopicLength)
        {
            await RejectAsync(args, connection, acked, "topic-too-long", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
            return;
        }
        if (message.Payload.Length > _limits.MaxPayloadBytes)
        {
            // PUBACK has no "packet too large" code: MQTT 5 answers with DISCONNECT 0x95.
            await RejectAsync(args, connection, acked, "payload-too-large", MqttPubAckReasonCode.UnspecifiedError, MqttDisconnectReasonCode.PacketTooLarge, disconnectAlways: true);
            return;
        }
        if (connection is not null)
        {
            if (!connection.Acl.MayPublish(message.Topic))
            {
                await RejectAsync(args, connection, acked, "not-authorized", MqttPubAckReasonCode.NotAuthorized, MqttDisconnectReasonCode.NotAuthorized);
                return;
            }
            if (packet is not null && connection.PublishLimiter is { } limiter && !PublishRateLimiterFactory.TryTake(limiter))
            {
                await RejectAsync(args, connection, acked, "rate-limited", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
                return;
            }
            if (packetId != 0 && InFlight(connection, args.ClientId, packetId, packet) >= _limits.MaxInFlightPerClient)
            {
                // The client ignored the Receive Maximum announced in CONNACK: a protocol error (MQTT-3.3.4-9), 0x93.
                await RejectAsync(args, connection, acked, "receive-maximum-exceeded", MqttPubAckReasonCode.QuotaExceeded,
                    MqttDisconnectReasonCode.ReceiveMaximumExceeded, disconnectAlways: true);
                return;
            }
        }

        var decision = connection is not null
            ? connection.Routes.Route(_router, message.Topic, args.ClientId, message.UserProperties)
            : _router.Route(message.Topic, args.ClientId, message.UserProperties);
        switch (decision.Outcome)
        {
            case RouteOutcome.Drop:
                if (!TryRetain(message, out _))
                {
                    await RejectRetainedAsync(args, connection, acked);
                    return;
                }
                MqttIngestLog.DroppedByRoute(_logger, args.ClientId, message.Topic, decision.Rule?.Name ?? "?");
                Record(args, connection, acked, AckAction.Release);
                return; // delivered to local subscribers and acknowledged at once: the operator chose not to keep it.
            case RouteOutcome.InvalidTopic:
                await RejectAsync(args, connection, acked, "log-topic-invalid", MqttPubAckReasonCode.TopicNameInvalid, MqttDisconnectReasonCode.TopicNameInvalid);
                return;
        }

        var qos2 = packetId != 0 && message.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce && _exactlyOnce is not null;
        if (qos2 && packet!.Dup && _exactlyOnce!.TryGetUnreleased(args.ClientId, packetId, out var original))
        {
            // A retransmission before PUBREL: stored and delivered already; PUBREC again once the original is durable.
            args.ProcessPublish = false;
            _metrics.Rejected("qos2-duplicate");
            Record(args, connection, acked, AckAction.WaitDurable, original.Topic, original.Partition, original.Offset, receivedAt);
            return;
        }
        if (_recovery is { IsActive: true } recovery && packetId != 0
            && await recovery.FindOriginalAsync(args.ClientId, packetId, packet!.Dup, message, decision.LogTopic!, decision.Key, args.CancellationToken) is { } stored)
        {
            // A retransmission whose original was stored before EdgeStream restarted (see ExactlyOnceRecovery).
            args.ProcessPublish = false;
            _metrics.Rejected("qos2-duplicate");
            _exactlyOnce?.Appended(args.ClientId, packetId, stored);
            Record(args, connection, acked, AckAction.WaitDurable, stored.Topic, stored.Partition, stored.Offset, receivedAt);
            return;
        }

        // Last check before the append: only an append failure can still undo what it accounts.
        if (!TryRetain(message, out var retainedChange))
        {
            await RejectRetainedAsync(args, connection, acked);
            return;
        }

        // Mqtt:DeliverAfterDurable: local subscribers' copies wait for this position (see Mqtt5Features). The stamp
        // gives the message a payload array of its own, which the record then shares instead of copying it again.
        var stamp = _durableStamps?.For(message);
        var record = MqttRecordFactory.Create(message, args.ClientId, decision, _time.GetUtcNow(), qos2PacketId: qos2 ? packetId : (ushort)0,
            ownedPayload: stamp is null ? null : message.Payload.First, cache: connection?.Routes);
        AppendResult appended;
        try
        {
            appended = await _log.AppendAsync(decision.LogTopic!, record, args.CancellationToken);
        }
        catch (Exception) when (UndoRetain(message, retainedChange))
        {
            throw; // never: the filter only undoes the retained account, for whichever handler below
        }
        catch (LogFullException)
        {
            await RejectAsync(args, connection, acked, "log-full", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
            return;
        }
        catch (TopicLimitException)
        {
            await RejectAsync(args, connection, acked, "topic-limit", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MqttIngestLog.AppendFailed(_logger, e, args.ClientId, decision.LogTopic!);
            await RejectAsync(args, connection, acked, "append-failed", MqttPubAckReasonCode.UnspecifiedError, MqttDisconnectReasonCode.UnspecifiedError);
            return;
        }

        if (stamp is not null)
        {
            (stamp.LogTopic, stamp.Partition, stamp.Offset) = (decision.LogTopic, appended.Partition, appended.LastOffset);
        }
        if (packetId != 0)
        {
            Record(args, connection, acked, AckAction.WaitDurable, decision.LogTopic, appended.Partition, appended.LastOffset, receivedAt);
            if (qos2)
            {
                _exactlyOnce!.Appended(args.ClientId, packetId, new LogPosition(decision.LogTopic!, appended.Partition, appended.LastOffset));
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
    /// Accounts a retained publish against <c>Mqtt:Limits:MaxRetainedMessages</c> and <c>MaxRetainedBytes</c>
    /// (MQTTnet keeps retained messages without any bound); true for a message that is not retained.
    /// </summary>
    private bool TryRetain(MqttApplicationMessage message, out RetainedLimit.Change change)
    {
        change = default;
        return !message.Retain || _retained is null || _retained.TryRetain(message.Topic, RetainedLimit.SizeOf(message), out change);
    }

    /// <summary>The append failed, so MQTTnet does not retain the message: gives back what it was accounted. Always false.</summary>
    private bool UndoRetain(MqttApplicationMessage message, in RetainedLimit.Change change)
    {
        if (message.Retain && _retained is not null)
        {
            _retained.Undo(change);
        }
        return false;
    }

    private Task RejectRetainedAsync(InterceptingPublishEventArgs args, ClientConnection? connection, MqttPublishPacket? acked)
        => RejectAsync(args, connection, acked, "retained-limit", MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);

    /// <summary>
    /// A topic name as MQTT allows it: not empty, no wildcard (MQTT-3.3.2-2) and no U+0000 (MQTT-1.5.4-2). MQTTnet's
    /// server checks none of these, so without this a device could store and retain a message on <c>a/#</c>, which
    /// every later subscriber of <c>a/#</c> would be sent.
    /// </summary>
    internal static bool IsValidTopicName(string? topic)
        => !string.IsNullOrEmpty(topic) && topic.AsSpan().IndexOfAny('+', '#', '\0') < 0;

    /// <summary>
    /// The client's QoS 1/2 publishes that count against the Receive Maximum: those appended but not acknowledged,
    /// and QoS 2 ones acknowledged with PUBREC but not yet released by PUBREL (MQTT 5 §4.9); a retransmission of one
    /// of the latter is not a new one.
    /// </summary>
    private int InFlight(ClientConnection connection, string clientId, ushort packetId, MqttPublishPacket? packet)
    {
        if (_exactlyOnce is not { } guard)
        {
            return connection.InFlight;
        }
        var unreleased = guard.UnreleasedCount(clientId);
        if (packet is { Dup: true } && guard.TryGetUnreleased(clientId, packetId, out _))
        {
            unreleased--;
        }
        return connection.InFlight + unreleased;
    }

    /// <summary>
    /// Refuses a publish: nothing is stored or delivered. MQTT 5 QoS 1/2 gets the reason code in its PUBACK/PUBREC;
    /// MQTT 3.1.1 (which has no reason codes) and violations without a PUBACK code are disconnected, and no
    /// acknowledgement is sent, so nothing unstored is ever acknowledged.
    /// </summary>
    private async Task RejectAsync(InterceptingPublishEventArgs args, ClientConnection? connection, MqttPublishPacket? acked, string reason,
        MqttPubAckReasonCode code, MqttDisconnectReasonCode disconnectCode, bool disconnectAlways = false)
    {
        args.ProcessPublish = false;
        args.Response.ReasonCode = code;
        _metrics.Rejected(reason);
        var disconnect = connection is not null && (disconnectAlways || !connection.IsV5);
        Record(args, connection, acked, disconnect ? AckAction.Suppress : AckAction.Release);
        var action = disconnect ? ", disconnected" : acked is null ? ", QoS 0 dropped" : "";
        MqttIngestLog.PublishRejected(_logger, args.ClientId, args.ApplicationMessage.Topic ?? "", reason, disconnect ? (int)disconnectCode : (int)code, action);
        if (disconnect)
        {
            await connection!.CloseAsync(disconnectCode);
        }
    }

    private void Record(InterceptingPublishEventArgs args, ClientConnection? connection, MqttPublishPacket? acked, AckAction action,
        string? topic = null, int partition = 0, long offset = 0, long receivedAt = 0)
    {
        if (acked is null || connection is null)
        {
            return;
        }
        var pending = new PendingAck(connection, action, topic, partition, offset, receivedAt);
        if (acked.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce)
        {
            _acks.Defer(args, connection, acked, pending, (byte)args.Response.ReasonCode);
            return;
        }
        SessionAcks.For(args.SessionItems, connection).Add(acked.PacketIdentifier, pending);
    }
}
