using System.Collections.Concurrent;
using EdgeStream.Log.Ingest;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// MQTT 5 features MQTTnet's server lacks, built on its interception points: deny ACL entries applied at delivery,
/// shared subscriptions (<c>$share/{group}/{filter}</c>: rewritten to the plain filter before MQTTnet sees the
/// SUBSCRIBE/UNSUBSCRIBE, then one member per group chosen per message at enqueue), Session Expiry and what CONNACK
/// announces. Install once, after the <see cref="ConnectionGatekeeper"/> handlers (it reads their verdicts). Thread-safe.
/// </summary>
internal sealed class Mqtt5Features : IDisposable
{
    private const string SharePrefix = "$share/";

    private readonly ClientRegistry _clients;
    private readonly SubscriberDirectory _directory;
    private readonly SessionExpiry _expiry;
    private readonly MessageExpiry _messageExpiry;
    private readonly ServerKeepAlive _keepAlive;
    private readonly WillDelay _wills;
    private readonly MqttServer _server;
    private readonly MqttIngestMetrics? _metrics;
    private readonly int _maxQueuedTotal;
    private readonly int _maxSubscriptions;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly ITimer _queueCount;
    private int _queuedTotal; // recounted each second; raised by each message queued in between
    private readonly QueuedBytes _queuedBytes;
    private readonly ConcurrentDictionary<string, ConnectState> _connecting = new(StringComparer.Ordinal);
    // Shared filters of the SUBSCRIBE being processed, per client (its receive loop is sequential): inner filter → group.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _pendingShares = new(StringComparer.Ordinal);

    private readonly ExactlyOnceGuard _exactlyOnce;
    private readonly PayloadStamps _stamps;
    private readonly IIngestWriter _log;
    private readonly bool _deliverAfterDurable;

    public Mqtt5Features(MqttServer server, MqttIngestOptions options, ClientRegistry clients, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger,
        ExactlyOnceGuard exactlyOnce, PayloadStamps stamps, IIngestWriter log, QueuedBytes queuedBytes, MqttIngestMetrics? metrics = null, SubscriberDirectory? directory = null)
    {
        _exactlyOnce = exactlyOnce;
        _stamps = stamps;
        _log = log;
        _deliverAfterDurable = options.DeliverAfterDurable;
        _clients = clients;
        _directory = directory ?? new SubscriberDirectory(id => clients.Get(id) is not null);
        _expiry = new SessionExpiry(options.Sessions, time, async id => await (await server.GetSessionAsync(id)).DeleteAsync(), id => clients.Get(id) is not null, logger);
        _messageExpiry = new MessageExpiry(stamps, time);
        _keepAlive = new ServerKeepAlive(server, options.MaxKeepAlive, time);
        _metrics = metrics;
        _maxQueuedTotal = options.Sessions.MaxQueuedMessagesTotal;
        _queuedBytes = queuedBytes;
        metrics?.ObserveQueuedBytes(() => _queuedBytes.Total);
        _maxSubscriptions = options.Limits.MaxSubscriptionsPerClient;
        _logger = logger;
        _server = server;
        _queueCount = time.CreateTimer(static s => _ = ((Mqtt5Features)s!).RecountQueuedAsync(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _wills = new WillDelay(
            (id, user, message) => server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = id, SenderUserName = user }),
            id => clients.Get(id) is not null, time, logger);
        server.ValidatingConnectionAsync += ValidatedAsync;
        server.ClientConnectedAsync += ConnectedAsync;
        server.ClientDisconnectedAsync += DisconnectedAsync;
        server.SessionDeletedAsync += SessionDeletedAsync;
        server.InterceptingInboundPacketAsync += InboundAsync;
        server.InterceptingSubscriptionAsync += SubscriptionAsync;
        server.InterceptingPublishAsync += PublishAsync;
        server.InterceptingClientEnqueueAsync += EnqueueAsync;
        server.ApplicationMessageEnqueuedOrDroppedAsync += EnqueuedOrDroppedAsync;
        server.InterceptingOutboundPacketAsync += OutboundAsync;
    }

    internal SubscriberDirectory Directory => _directory;

    /// <summary>Clients with a shared SUBSCRIBE being processed (tests: nothing is left behind).</summary>
    internal int PendingShareClients => _pendingShares.Count;

    internal SessionExpiry Expiry => _expiry;

    internal WillDelay Wills => _wills;

    private Task ValidatedAsync(ValidatingConnectionEventArgs args)
    {
        if (args.ReasonCode == MqttConnectReasonCode.Success)
        {
            var clientId = string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId;
            var clean = args.CleanSession ?? true;
            // The client's interval: MQTTnet's packet carries "never" in its place (see GuardedChannelAdapter).
            var requested = (args.ChannelAdapter as Transport.GuardedChannelAdapter)?.Connection.ConnectSessionExpiry ?? args.SessionExpiryInterval;
            if (!_expiry.TryConnected(clientId, args.ProtocolVersion, clean, requested, out var granted))
            {
                // Mqtt:Sessions:MaxSessions: MQTTnet would keep a session for every client id that ever connected.
                args.ReasonCode = MqttConnectReasonCode.QuotaExceeded;
                _metrics?.Rejected("session-limit");
                _metrics?.ConnectionClosed("session-limit");
                MqttIngestLog.ConnectRefused(_logger, clientId, "session-limit", args.UserName, args.RemoteEndPoint?.ToString());
                return Task.CompletedTask;
            }
            var keepAlive = _keepAlive.Connected(clientId, args.ProtocolVersion, args.KeepAlivePeriod);
            _connecting[clientId] = new ConnectState(args.ProtocolVersion, clean, granted < requested ? granted : null, keepAlive);
        }
        return Task.CompletedTask;
    }

    private Task ConnectedAsync(ClientConnectedEventArgs args)
    {
        _wills.Connected(args.ClientId);
        var clean = _connecting.TryGetValue(args.ClientId, out var state) && state.CleanStart;
        _directory.Connected(args.ClientId, _clients.Get(args.ClientId)?.Acl, clean);
        if (clean)
        {
            _exactlyOnce.Forget(args.ClientId);
            _queuedBytes.Forget(args.ClientId); // MQTTnet replaced the session and its queue
        }
        return Task.CompletedTask;
    }

    private async Task DisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        if (args.DisconnectType != MqttClientDisconnectType.Takeover)
        {
            var version = _connecting.TryRemove(args.ClientId, out var state) ? state.Version : MqttProtocolVersion.V500;
            _pendingShares.TryRemove(args.ClientId, out _);
            _keepAlive.Disconnected(args.ClientId);
            // The event runs on the ending connection's flow; its DISCONNECT bytes say whether an interval was given.
            var connection = Transport.BrokerConnection.Current;
            if (connection is { Will: { } will, WillDue: true })
            {
                var interval = connection.DisconnectSessionExpiry ?? _expiry.IntervalOf(args.ClientId);
                _wills.Disconnected(args.ClientId, connection.Client?.Username, will, connection.Client?.Acl, interval);
            }
            await _expiry.DisconnectedAsync(args.ClientId, version, connection?.DisconnectSessionExpiry);
        }
    }

    private Task SessionDeletedAsync(SessionDeletedEventArgs args)
    {
        _directory.Forget(args.Id);
        _expiry.Deleted(args.Id);
        _exactlyOnce.Forget(args.Id);
        _queuedBytes.Forget(args.Id);
        return Task.CompletedTask;
    }

    private Task InboundAsync(InterceptingPacketEventArgs args)
    {
        switch (args.Packet)
        {
            case MqttPubRelPacket pubRel:
                _exactlyOnce.Released(args.ClientId, pubRel.PacketIdentifier);
                break;
            case MqttSubscribePacket subscribe:
                foreach (var filter in subscribe.TopicFilters)
                {
                    if (TrySplitShare(filter.Topic, out var group, out var inner))
                    {
                        filter.Topic = inner;
                        // Retained messages are not sent for a shared subscription (MQTT 5 §4.8.2).
                        filter.RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe;
                        _pendingShares.GetOrAdd(args.ClientId, _ => new(StringComparer.Ordinal))[inner] = group;
                    }
                }
                break;
            case MqttUnsubscribePacket unsubscribe:
                for (var i = 0; i < unsubscribe.TopicFilters.Count; i++)
                {
                    var group = (string?)null;
                    if (TrySplitShare(unsubscribe.TopicFilters[i], out var g, out var inner))
                    {
                        unsubscribe.TopicFilters[i] = inner;
                        group = g;
                    }
                    _directory.Unsubscribed(args.ClientId, unsubscribe.TopicFilters[i], group);
                }
                break;
        }
        return Task.CompletedTask;
    }

    private Task SubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        string? group = null;
        if (_pendingShares.TryGetValue(args.ClientId, out var pending) && pending.TryRemove(args.TopicFilter.Topic, out var g))
        {
            group = g;
            if (pending.IsEmpty)
            {
                // The SUBSCRIBE's last shared filter: keep no entry per client id that ever subscribed.
                _pendingShares.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, string>>(args.ClientId, pending));
            }
            if (args.TopicFilter.NoLocal)
            {
                // MQTT 5 §3.8.3.1: No Local on a shared subscription is a protocol error; refuse just this filter.
                args.ProcessSubscription = false;
                args.Response.ReasonCode = MqttSubscribeReasonCode.UnspecifiedError;
                return Task.CompletedTask;
            }
        }
        if (args.ProcessSubscription && (int)args.Response.ReasonCode <= (int)MqttSubscribeReasonCode.GrantedQoS2
            && !_directory.TrySubscribe(args.ClientId, args.TopicFilter.Topic, group, _maxSubscriptions))
        {
            // Mqtt:Limits:MaxSubscriptionsPerClient: MQTTnet would keep every filter a client sends, without bound.
            args.ProcessSubscription = false;
            args.Response.ReasonCode = MqttSubscribeReasonCode.QuotaExceeded; // 3.1.1: MQTTnet sends 0x80 failure
            _metrics?.Rejected("subscription-limit");
            MqttIngestLog.SubscriptionLimitReached(_logger, args.ClientId, args.TopicFilter.Topic, _maxSubscriptions);
        }
        return Task.CompletedTask;
    }

    /// <summary>Runs after <see cref="PublishIngestor"/> (registered later): only accepted messages are stamped.</summary>
    private Task PublishAsync(InterceptingPublishEventArgs args)
    {
        if (args.ProcessPublish)
        {
            _messageExpiry.Received(args.ApplicationMessage);
        }
        return Task.CompletedTask;
    }

    /// <summary>Messages queued for disconnected sessions, as last counted plus those queued since.</summary>
    internal int QueuedForDisconnected => Volatile.Read(ref _queuedTotal);

    /// <summary>Bytes queued per session and in all.</summary>
    internal QueuedBytes QueuedBytes => _queuedBytes;

    private async Task RecountQueuedAsync()
    {
        try
        {
            var sessions = await _server.GetSessionsAsync();
            Volatile.Write(ref _queuedTotal, sessions.Where(s => _clients.Get(s.Id) is null).Sum(s => (int)Math.Min(int.MaxValue, s.PendingApplicationMessagesCount)));
            var pending = new Dictionary<string, long>(sessions.Count, StringComparer.Ordinal);
            foreach (var session in sessions)
            {
                pending[session.Id] = session.PendingApplicationMessagesCount;
            }
            _queuedBytes.Reconcile(pending);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The server is starting or stopping: the next tick counts again.
        }
    }

    private Task EnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs args)
    {
        if (!args.AcceptEnqueue)
        {
            return Task.CompletedTask; // refused by an earlier handler ($SYS for an offline session): not counted as queued
        }
        if (_messageExpiry.HasExpired(args.ApplicationMessage))
        {
            args.AcceptEnqueue = false;
            return Task.CompletedTask;
        }
        if (_clients.Get(args.ReceiverClientId) is null)
        {
            if (args.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
            {
                // MQTTnet empties the send queue when the session resumes (MqttSession.Recover keeps only QoS 1/2), so a
                // QoS 0 message queued offline would only take the room of QoS 1/2 ones and be lost (§4.1: optional).
                args.AcceptEnqueue = false;
                _metrics?.Rejected("qos0-offline");
                return Task.CompletedTask;
            }
            if (Volatile.Read(ref _queuedTotal) >= _maxQueuedTotal)
            {
                args.AcceptEnqueue = false;
                _metrics?.Rejected("queue-total-full");
                return Task.CompletedTask;
            }
            Interlocked.Increment(ref _queuedTotal);
        }
        // Sender "" is a retained message being sent on SUBSCRIBE.
        if (!_directory.MayDeliver(args.ReceiverClientId, args.ApplicationMessage, retainedOnSubscribe: args.SenderClientId.Length == 0))
        {
            args.AcceptEnqueue = false;
            return Task.CompletedTask;
        }
        // The last enqueue handler (registered after $SYS's): what it accepts, MQTTnet queues unless the count is full.
        switch (_queuedBytes.TryAdd(args.ReceiverClientId, MessageSize.Of(args.ApplicationMessage)))
        {
            case QueuedBytes.Verdict.SessionFull:
                args.AcceptEnqueue = false;
                _metrics?.Rejected("queue-bytes-full");
                break;
            case QueuedBytes.Verdict.TotalFull:
                args.AcceptEnqueue = false;
                _metrics?.Rejected("queue-total-bytes-full");
                break;
        }
        return Task.CompletedTask;
    }

    private Task EnqueuedOrDroppedAsync(ApplicationMessageEnqueuedEventArgs args)
    {
        if (args.IsDropped)
        {
            _metrics?.Rejected("queue-full"); // Mqtt:Sessions:MaxQueuedMessages reached for this session
            _queuedBytes.Remove(args.ReceiverClientId, MessageSize.Of(args.ApplicationMessage));
        }
        return Task.CompletedTask;
    }

    private Task OutboundAsync(InterceptingPacketEventArgs args)
    {
        if (args.Packet is MqttPublishPacket publish)
        {
            _queuedBytes.Remove(args.ClientId, MessageSize.Of(publish));
            if (_deliverAfterDurable && _stamps.Find(publish.Payload) is { LogTopic: not null } stored)
            {
                return DeliverWhenDurableAsync(args, publish, stored);
            }
            return PrepareAsync(args, publish);
        }
        if (args.Packet is MqttConnAckPacket connAck && connAck.ReasonCode == MqttConnectReasonCode.Success)
        {
            connAck.SharedSubscriptionAvailable = true;
            if (_connecting.TryGetValue(args.ClientId, out var state) && state.CappedExpiry is { } capped)
            {
                connAck.SessionExpiryInterval = capped;
            }
            if (state?.ServerKeepAlive is { } keepAlive)
            {
                connAck.ServerKeepAlive = keepAlive;
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Mqtt:DeliverAfterDurable: holds a local subscriber's copy on its (sequential) send loop until the message is
    /// durable in the log, so subscribers never see what a crash could take back; the publisher is not slowed.
    /// </summary>
    private async Task DeliverWhenDurableAsync(InterceptingPacketEventArgs args, MqttPublishPacket publish, PayloadStamps.Stamp stored)
    {
        try
        {
            await _log.WaitForDurableAsync(stored.LogTopic!, stored.Partition, stored.Offset, args.CancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never durable: not delivered either (the publisher got no acknowledgement for it).
            args.ProcessPacket = false;
            return;
        }
        await PrepareAsync(args, publish);
    }

    private Task PrepareAsync(InterceptingPacketEventArgs args, MqttPublishPacket publish)
    {
        if (!_messageExpiry.PrepareOutgoing(publish))
        {
            // Expired while queued (MQTT 5 §3.3.2.3.3: delete the subscriber's copy). MQTTnet keeps a QoS 1/2 copy in
            // the session's unacknowledged list; it is dropped again here if the session resends it.
            args.ProcessPacket = false;
        }
        return Task.CompletedTask;
    }

    /// <summary>Splits <c>$share/{group}/{filter}</c>; a malformed one (empty group or filter) is left to MQTTnet to refuse.</summary>
    internal static bool TrySplitShare(string topic, out string group, out string inner)
    {
        group = inner = "";
        if (!topic.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = topic.AsSpan(SharePrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1 || rest[..slash].IndexOfAny("+#") >= 0)
        {
            return false;
        }
        group = rest[..slash].ToString();
        inner = rest[(slash + 1)..].ToString();
        return true;
    }

    public void Dispose()
    {
        _expiry.Dispose();
        _keepAlive.Dispose();
        _wills.Dispose();
        _queueCount.Dispose();
    }

    private sealed record ConnectState(MqttProtocolVersion Version, bool CleanStart, uint? CappedExpiry, ushort? ServerKeepAlive);
}
