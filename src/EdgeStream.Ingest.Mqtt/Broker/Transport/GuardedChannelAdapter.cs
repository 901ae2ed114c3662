using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// MQTTnet's channel adapter for one connection, with the checks MQTTnet's server does not make before it stores
/// anything: an oversized packet (seen by <see cref="FrameGuardChannel"/> from its fixed header) ends the connection
/// with DISCONNECT 0x95 on MQTT 5 (just a close before CONNECT and on 3.1.1); a client→server topic alias out of range
/// (0x94), unknown (0x82) or naming a too-long topic (0x90) ends it before MQTTnet stores the alias. A 3.1.1 CONNECT
/// with an empty client id and clean session gets an assigned id (MQTTnet refuses it otherwise). A successful MQTT 5
/// CONNACK announces Maximum Packet Size, Receive Maximum and Topic Alias Maximum. What an MQTT 5 client asks of the
/// server's publishes (Receive Maximum, Maximum Packet Size, Topic Alias Maximum) is applied by
/// <see cref="OutboundPublishes"/> on the way out. Receive loop and send loop call in concurrently, as MQTTnet's own
/// adapter allows.
/// </summary>
internal sealed class GuardedChannelAdapter : IMqttChannelAdapter
{
    private static readonly TimeSpan DisconnectSendTimeout = TimeSpan.FromSeconds(2);

    private readonly MqttChannelAdapter _inner;
    private readonly MqttLimitsOptions _limits;
    private readonly MqttIngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly bool[] _aliases;
    private readonly int _maxWaitingOutbound;

    // Outbound publishes go out one at a time in the order decided, so an alias is always set before it is used and
    // publishes released by an acknowledgement never overtake later ones.
    private readonly SemaphoreSlim _transmit = new(1, 1);
    private OutboundPublishes? _outbound;

    // Acknowledgements this adapter hands MQTTnet for publishes it dropped, and the receive they must not wait behind.
    private readonly ConcurrentQueue<MqttPacket> _synthetic = new();
    private TaskCompletionSource _syntheticArrived = NewSignal();
    private Task<MqttPacket>? _pendingReceive;
    private volatile bool _dropped;

    // maxWaitingOutbound: QoS 1/2 publishes that may wait for the client's Receive Maximum before new ones are dropped.
    public GuardedChannelAdapter(MqttChannelAdapter inner, BrokerConnection connection, MqttLimitsOptions limits, MqttIngestMetrics metrics, ILogger logger, int maxWaitingOutbound)
    {
        _maxWaitingOutbound = maxWaitingOutbound;
        _inner = inner;
        Connection = connection;
        _limits = limits;
        _metrics = metrics;
        _logger = logger;
        _aliases = new bool[limits.TopicAliasMaximum + 1];
        connection.Adapter = this;
    }

    public BrokerConnection Connection { get; }

    /// <summary>What an MQTT 5 client asked of our publishes; <c>null</c> before CONNECT and for 3.1.1.</summary>
    internal OutboundPublishes? Outbound => _outbound;

    public long BytesReceived => _inner.BytesReceived;

    public long BytesSent => _inner.BytesSent;

    public X509Certificate2 ClientCertificate => _inner.ClientCertificate;

    public EndPoint RemoteEndPoint => _inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => _inner.LocalEndPoint;

    public bool IsSecureConnection => _inner.IsSecureConnection;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => _inner.PacketFormatterAdapter;

    public bool IsV5 => _inner.PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500;

    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => _inner.DisconnectAsync(cancellationToken);

    public void ResetStatistics() => _inner.ResetStatistics();

    public Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        // MQTTnet is done with the previous packet (see DurableAckInterceptor.Defer).
        Connection.Client?.ReleaseDeferredAck();
        if (_dropped || _pendingReceive is not null)
        {
            return InspectAsync(NextPacketAsync(cancellationToken), cancellationToken);
        }
        // Until a publish was dropped nothing is made up, and a publish without a topic alias needs nothing from this
        // adapter: one already received is handed on as MQTTnet's own task, so the common packet costs no task of ours.
        var receive = _inner.ReceivePacketAsync(cancellationToken);
        return receive.IsCompletedSuccessfully && receive.GetAwaiter().GetResult() is MqttPublishPacket { TopicAlias: 0 }
            ? receive
            : InspectAsync(receive, cancellationToken);
    }

    private async Task<MqttPacket> InspectAsync(Task<MqttPacket> receive, CancellationToken cancellationToken)
    {
        MqttPacket packet;
        try
        {
            packet = await receive.ConfigureAwait(false);
        }
        catch (Exception thrown) when (TooLarge(thrown) is { } e)
        {
            _metrics.ConnectionClosed(e.IsConnect ? "connect-too-large" : "packet-too-large");
            MqttIngestLog.PacketTooLarge(_logger, Connection.Client?.ClientId ?? "", Connection.Remote.ToString(), e.Size, e.Limit);
            await CloseAsync(e.IsConnect ? null : MqttDisconnectReasonCode.PacketTooLarge).ConfigureAwait(false);
            return null!; // MQTTnet ends the connection as if the peer had closed it
        }
        catch (Exception thrown) when (Find<TopicAliasZeroException>(thrown) is not null)
        {
            _metrics.Rejected("topic-alias-invalid");
            MqttIngestLog.PublishRejected(_logger, Connection.Client?.ClientId ?? "", "", "topic alias 0", (int)MqttDisconnectReasonCode.TopicAliasInvalid, ", disconnected");
            await CloseAsync(MqttDisconnectReasonCode.TopicAliasInvalid).ConfigureAwait(false);
            return null!;
        }
        catch (Exception thrown) when (!Connection.IsConnected && IsEmptyIdWithoutCleanSession(thrown))
        {
            // MQTT-3.1.3-8: answered with CONNACK 0x02 "identifier rejected", where MQTTnet's decoder just fails.
            _metrics.Rejected("client-id-invalid");
            _metrics.ConnectionClosed("client-id-invalid");
            await TrySendBeforeCloseAsync(new MqttConnAckPacket { ReturnCode = MqttConnectReturnCode.ConnectionRefusedIdentifierRejected }).ConfigureAwait(false);
            Connection.Abort();
            return null!;
        }
        switch (packet)
        {
            case MqttConnectPacket connect when string.IsNullOrEmpty(connect.ClientId) && connect.CleanSession
                && _inner.PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500:
                // MQTT-3.1.3-6: the server assigns a unique id. (MQTT 5 gets one through AssignedClientIdentifier.)
                connect.ClientId = "auto-" + Guid.NewGuid().ToString("N");
                break;
            case MqttConnectPacket connect when IsV5:
                _outbound = new OutboundPublishes(connect, _maxWaitingOutbound);
                Connection.Will = WillDelay.TakeOver(connect);
                HideSessionExpiry(connect);
                break;
            case MqttDisconnectPacket when IsV5 && Connection.ConnectSessionExpiry == 0 && Connection.DisconnectSessionExpiry is > 0:
                // MQTT-3.14.2.2.2: after a CONNECT with 0 a non-zero interval on DISCONNECT is a protocol error; the
                // DISCONNECT is not taken as one (the will is due) and the session ends with the connection.
                Connection.DisconnectRefused();
                _metrics.ConnectionClosed("protocol-error");
                MqttIngestLog.ProtocolError(_logger, Connection.Client?.ClientId ?? "", "a DISCONNECT with a Session Expiry Interval after a CONNECT with none",
                    (int)MqttDisconnectReasonCode.ProtocolError);
                await CloseAsync(MqttDisconnectReasonCode.ProtocolError).ConfigureAwait(false);
                return null!;
            case MqttPubAckPacket ack:
                await CompletedAsync(ack.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPubCompPacket comp:
                await CompletedAsync(comp.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPubRecPacket rec when rec.ReasonCode >= MqttPubRecReasonCode.UnspecifiedError:
                await CompletedAsync(rec.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPublishPacket publish when publish.TopicAlias != 0 && !await CheckTopicAliasAsync(publish).ConfigureAwait(false):
                return null!;
            case MqttSubscribePacket:
                Connection.SubscribeReceivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                break;
        }
        return packet;
    }

    /// <summary>
    /// The next packet: an acknowledgement this adapter made up for a dropped publish, or else the next one from the
    /// wire. A receive from the wire that loses the race to a made-up one stays pending for the next call.
    /// </summary>
    private async Task<MqttPacket> NextPacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var arrived = Volatile.Read(ref _syntheticArrived);
            if (arrived.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _syntheticArrived, NewSignal(), arrived);
            }
            if (_synthetic.TryDequeue(out var made))
            {
                return made;
            }
            var receive = _pendingReceive ?? _inner.ReceivePacketAsync(cancellationToken);
            // Until a publish was dropped nothing can be made up, so the wire is awaited directly (no race to set up per
            // packet); a drop during such a wait is acknowledged with the client's next packet.
            if (receive.IsCompleted || !_dropped)
            {
                _pendingReceive = null;
                return await receive.ConfigureAwait(false);
            }
            _pendingReceive = receive;
            if (await Task.WhenAny(receive, Volatile.Read(ref _syntheticArrived).Task).ConfigureAwait(false) == receive)
            {
                _pendingReceive = null;
                return await receive.ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Keeps MQTTnet from expiring the session itself: MQTTnet 5.2 checks a disconnected session's age when its client
    /// comes back (MqttSessionsStorage.TryGetSession), against the interval of the CONNECT that created it and the wall
    /// clock, so a longer interval set on DISCONNECT (MQTT 5 §3.14.2.2.2) was cut short. A non-zero interval is handed
    /// to MQTTnet as 0xFFFFFFFF ("never"; 0 stays 0, so the session still ends with the connection), and the client's
    /// own value is kept on the connection for <see cref="SessionExpiry"/>, which ends sessions by its timers.
    /// </summary>
    private void HideSessionExpiry(MqttConnectPacket connect)
    {
        Connection.ConnectSessionExpiry = connect.SessionExpiryInterval;
        if (connect.SessionExpiryInterval != 0)
        {
            connect.SessionExpiryInterval = uint.MaxValue;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static bool IsEmptyIdWithoutCleanSession(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is MQTTnet.Exceptions.MqttProtocolViolationException && e.Message.Contains("[MQTT-3.1.3-7]", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Sends a last packet (CONNACK refusal, DISCONNECT), bounded in time; false when it could not go.</summary>
    private async Task<bool> TrySendBeforeCloseAsync(MqttPacket packet)
    {
        try
        {
            using var timeout = new CancellationTokenSource(DisconnectSendTimeout);
            await _inner.SendPacketAsync(packet, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The peer is gone or not reading: closing is all that is left.
            MqttIngestLog.ConnectionFailed(_logger, Connection.Remote.ToString(), $"{packet.GetType().Name} not sent: " + e.Message);
            return false;
        }
    }

    /// <summary>
    /// The size refusal, however MQTTnet's adapter passed it on: as is, or (when the read completed synchronously and
    /// it took the task's <c>Result</c>) inside an AggregateException inside a MqttCommunicationException.
    /// </summary>
    private static PacketTooLargeException? TooLarge(Exception? e) => Find<PacketTooLargeException>(e);

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttConnAckPacket connAck && connAck.ReasonCode == MqttConnectReasonCode.Success)
        {
            if (IsV5)
            {
                connAck.MaximumPacketSize = (uint)_limits.EffectiveMaxPacketBytes;
                connAck.ReceiveMaximum = (ushort)Math.Min(ushort.MaxValue, _limits.MaxInFlightPerClient);
                connAck.TopicAliasMaximum = (ushort)_limits.TopicAliasMaximum;
            }
            Connection.MarkConnected();
        }
        return packet is MqttPublishPacket publish && _outbound is { } outbound
            ? SendPublishAsync(outbound, publish, cancellationToken)
            : _inner.SendPacketAsync(packet, cancellationToken);
    }

    private async Task SendPublishAsync(OutboundPublishes outbound, MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        await _transmit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            switch (outbound.Offer(publish))
            {
                case OutboundDecision.Send:
                    await TransmitAsync(outbound, publish, cancellationToken).ConfigureAwait(false);
                    break;
                case OutboundDecision.TooLarge:
                    Dropped(publish, "client-maximum-packet-size");
                    break;
                case OutboundDecision.QueueFull:
                    Dropped(publish, "client-receive-maximum-queue-full");
                    break;
            }
        }
        finally
        {
            _transmit.Release();
        }
    }

    /// <summary>The client acknowledged one of our publishes: publishes waiting for its Receive Maximum may go.</summary>
    private async Task CompletedAsync(ushort packetId, CancellationToken cancellationToken)
    {
        if (_outbound is not { } outbound)
        {
            return;
        }
        await _transmit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var next in outbound.Completed(packetId))
            {
                await TransmitAsync(outbound, next, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _transmit.Release();
        }
    }

    /// <summary>Sends with a topic alias where the client allows one; the packet is restored afterwards because MQTTnet
    /// keeps it for a retransmission, which may go out on another connection that knows no alias.</summary>
    private async Task TransmitAsync(OutboundPublishes outbound, MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        var (alias, omitTopic) = outbound.ApplyAlias(publish);
        if (alias == 0)
        {
            await _inner.SendPacketAsync(publish, cancellationToken).ConfigureAwait(false);
            return;
        }
        var topic = publish.Topic;
        publish.TopicAlias = alias;
        if (omitTopic)
        {
            publish.Topic = "";
        }
        try
        {
            await _inner.SendPacketAsync(publish, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            publish.Topic = topic;
            publish.TopicAlias = 0;
        }
    }

    /// <summary>
    /// A publish the client must not receive is dropped "as if it had completed sending" (MQTT-3.1.2-25): MQTTnet's
    /// session gets the acknowledgement the client will never send, so the message does not linger as in flight.
    /// </summary>
    private void Dropped(MqttPublishPacket publish, string reason)
    {
        _metrics.Rejected(reason);
        MqttIngestLog.OutboundDropped(_logger, Connection.Client?.ClientId ?? "", publish.Topic ?? "", reason);
        MqttPacket? ack = publish.QualityOfServiceLevel switch
        {
            MqttQualityOfServiceLevel.AtLeastOnce => new MqttPubAckPacket { PacketIdentifier = publish.PacketIdentifier },
            MqttQualityOfServiceLevel.ExactlyOnce => new MqttPubCompPacket { PacketIdentifier = publish.PacketIdentifier },
            _ => null,
        };
        if (ack is not null)
        {
            _dropped = true;
            _synthetic.Enqueue(ack);
            Volatile.Read(ref _syntheticArrived).TrySetResult();
        }
    }

    /// <summary>
    /// Ends this connection (and only it — not whichever connection holds the client id now): MQTT 5 gets a DISCONNECT
    /// with <paramref name="reason"/> first, when one is given, and the socket closes once the client closed its side
    /// (bounded), so the client reads the DISCONNECT instead of a reset; otherwise the socket closes at once.
    /// </summary>
    public async Task CloseAsync(MqttDisconnectReasonCode? reason)
    {
        if (reason is { } code && IsV5 && Connection.IsConnected && !Connection.IsClosed)
        {
            if (await TrySendBeforeCloseAsync(new MqttDisconnectPacket { ReasonCode = code }).ConfigureAwait(false))
            {
                Connection.CloseAfterDisconnect(DisconnectSendTimeout);
                return;
            }
        }
        Connection.Abort();
    }

    private async Task<bool> CheckTopicAliasAsync(MqttPublishPacket publish)
    {
        var alias = publish.TopicAlias;
        MqttDisconnectReasonCode? code = null;
        if (alias > _limits.TopicAliasMaximum)
        {
            code = MqttDisconnectReasonCode.TopicAliasInvalid;
        }
        else if (!string.IsNullOrEmpty(publish.Topic))
        {
            if (publish.Topic.Length > _limits.MaxTopicLength)
            {
                code = MqttDisconnectReasonCode.TopicNameInvalid;
            }
            else
            {
                _aliases[alias] = true;
            }
        }
        else if (!_aliases[alias])
        {
            code = MqttDisconnectReasonCode.ProtocolError; // MQTT-3.3.4-? an alias used before it was set
        }
        if (code is null)
        {
            return true;
        }
        _metrics.Rejected("topic-alias-invalid");
        MqttIngestLog.PublishRejected(_logger, Connection.Client?.ClientId ?? "", publish.Topic ?? "", $"topic alias {alias} invalid", (int)code.Value, ", disconnected");
        await CloseAsync(code).ConfigureAwait(false);
        return false;
    }

    // _transmit is not disposed: a send loop may still be waiting on it, and it holds no wait handle.
    public void Dispose() => _inner.Dispose();
}
