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
/// CONNACK announces Maximum Packet Size, Receive Maximum and Topic Alias Maximum. Receive loop and send loop call
/// in concurrently, as MQTTnet's own adapter allows.
/// </summary>
internal sealed class GuardedChannelAdapter : IMqttChannelAdapter
{
    private static readonly TimeSpan DisconnectSendTimeout = TimeSpan.FromSeconds(2);

    private readonly MqttChannelAdapter _inner;
    private readonly MqttLimitsOptions _limits;
    private readonly MqttIngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly bool[] _aliases;

    public GuardedChannelAdapter(MqttChannelAdapter inner, BrokerConnection connection, MqttLimitsOptions limits, MqttIngestMetrics metrics, ILogger logger)
    {
        _inner = inner;
        Connection = connection;
        _limits = limits;
        _metrics = metrics;
        _logger = logger;
        _aliases = new bool[limits.TopicAliasMaximum + 1];
        connection.Adapter = this;
    }

    public BrokerConnection Connection { get; }

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

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        MqttPacket packet;
        try
        {
            packet = await _inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception thrown) when (TooLarge(thrown) is { } e)
        {
            _metrics.ConnectionClosed(e.IsConnect ? "connect-too-large" : "packet-too-large");
            MqttIngestLog.PacketTooLarge(_logger, Connection.Client?.ClientId ?? "", Connection.Remote.ToString(), e.Size, e.Limit);
            await CloseAsync(e.IsConnect ? null : MqttDisconnectReasonCode.PacketTooLarge).ConfigureAwait(false);
            return null!; // MQTTnet ends the connection as if the peer had closed it
        }
        switch (packet)
        {
            case MqttConnectPacket connect when string.IsNullOrEmpty(connect.ClientId) && connect.CleanSession
                && _inner.PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500:
                // MQTT-3.1.3-6: the server assigns a unique id. (MQTT 5 gets one through AssignedClientIdentifier.)
                connect.ClientId = "auto-" + Guid.NewGuid().ToString("N");
                break;
            case MqttPublishPacket publish when publish.TopicAlias != 0 && !await CheckTopicAliasAsync(publish).ConfigureAwait(false):
                return null!;
        }
        return packet;
    }

    /// <summary>
    /// The size refusal, however MQTTnet's adapter passed it on: as is, or (when the read completed synchronously and
    /// it took the task's <c>Result</c>) inside an AggregateException inside a MqttCommunicationException.
    /// </summary>
    private static PacketTooLargeException? TooLarge(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PacketTooLargeException tooLarge)
            {
                return tooLarge;
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
        return _inner.SendPacketAsync(packet, cancellationToken);
    }

    /// <summary>
    /// Ends this connection (and only it — not whichever connection holds the client id now): MQTT 5 gets a DISCONNECT
    /// with <paramref name="reason"/> first, when one is given; then the socket closes.
    /// </summary>
    public async Task CloseAsync(MqttDisconnectReasonCode? reason)
    {
        if (reason is { } code && IsV5 && Connection.IsConnected && !Connection.IsClosed)
        {
            try
            {
                using var timeout = new CancellationTokenSource(DisconnectSendTimeout);
                await _inner.SendPacketAsync(new MqttDisconnectPacket { ReasonCode = code }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The peer is gone or not reading: closing is all that is left.
                MqttIngestLog.ConnectionFailed(_logger, Connection.Remote.ToString(), "DISCONNECT not sent: " + e.Message);
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

    public void Dispose() => _inner.Dispose();
}
