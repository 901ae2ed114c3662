using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Ingest.Mqtt.Limits;
using Microsoft.Extensions.Logging;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// CONNECT, SUBSCRIBE and disconnect handling of the embedded broker: authentication (with the per-address login
/// throttle), the connection limit, subscription ACLs (the will topic's ACL is checked when the will is published, see
/// PublishIngestor), and the <see cref="ClientRegistry"/> bookkeeping. A refused CONNECT leaves no state: the client
/// state hangs off its connection and enters the registry only once connected. Thread-safe.
/// </summary>
internal sealed class ConnectionGatekeeper
{
    private readonly MqttAuthenticator _authenticator;
    private readonly MqttLimitsOptions _limits;
    private readonly ClientRegistry _clients;
    private readonly LoginFailureThrottle _logins;
    private readonly MqttIngestMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MqttSubscribeReasonCode _subscribeDenied;
    private int _admitting;

    // revealSubscribeDenials (Mqtt:RevealSubscribeDenials): answer a denied MQTT 5 subscription with 0x87 Not authorized
    // instead of 0x80 Unspecified error, which MQTT 5 §3.9.3 allows when the server does not wish to reveal the reason.
    public ConnectionGatekeeper(MqttAuthenticator authenticator, MqttLimitsOptions limits, ClientRegistry clients, LoginFailureThrottle logins,
        MqttIngestMetrics metrics, TimeProvider time, ILogger logger, bool revealSubscribeDenials = false)
    {
        _subscribeDenied = revealSubscribeDenials ? MqttSubscribeReasonCode.NotAuthorized : MqttSubscribeReasonCode.UnspecifiedError;
        _time = time;
        _authenticator = authenticator;
        _limits = limits;
        _clients = clients;
        _logins = logins;
        _metrics = metrics;
        _logger = logger;
    }

    public Task ValidateConnectionAsync(ValidatingConnectionEventArgs args)
    {
        var transport = (args.ChannelAdapter as GuardedChannelAdapter)?.Connection;
        if (string.IsNullOrEmpty(args.ClientId))
        {
            if (args.ProtocolVersion != MqttProtocolVersion.V500)
            {
                // 3.1.1 with clean session 0 (clean session 1 got an id from the channel adapter): MQTT-3.1.3-8.
                Refuse(args, "", MqttConnectReasonCode.ClientIdentifierNotValid, "client-id-invalid");
                return Task.CompletedTask;
            }
            // MQTT 5: the server assigns an id and announces it in CONNACK (Assigned Client Identifier).
            args.AssignedClientIdentifier = "auto-" + Guid.NewGuid().ToString("N");
        }
        var clientId = string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId;

        // A reconnect with the same id replaces its old connection, so it does not count against the limit.
        if (_clients.Count >= _limits.MaxConnections && _clients.Get(clientId) is null)
        {
            Refuse(args, clientId, MqttConnectReasonCode.QuotaExceeded, "max-connections");
            return Task.CompletedTask;
        }
        var exempt = transport is null || (!_limits.ThrottleLoopback && System.Net.IPAddress.IsLoopback(transport.Address));
        if (!exempt && _logins.IsBlocked(transport!.Address))
        {
            // Failed logins from this address since it was accepted: no password hashing until its delay has passed.
            Refuse(args, clientId, MqttConnectReasonCode.ServerBusy, "login-throttled");
            return Task.CompletedTask;
        }

        var auth = _authenticator.Authenticate(args.UserName, args.Password, args.ClientCertificate, args.IsSecureConnection, clientId);
        if (!auth.Accepted)
        {
            if (!exempt)
            {
                _logins.Failed(transport!.Address);
            }
            var code = auth.Failure == AuthFailure.BadCredentials ? MqttConnectReasonCode.BadUserNameOrPassword : MqttConnectReasonCode.NotAuthorized;
            Refuse(args, clientId, code, auth.Failure == AuthFailure.BadCredentials ? "bad-credentials" : "not-authorized");
            return Task.CompletedTask;
        }
        if (!exempt)
        {
            _logins.Succeeded(transport!.Address);
        }
        if (transport is not null)
        {
            if (_clients.Get(clientId) is null && !TryAdmit(transport))
            {
                Refuse(args, clientId, MqttConnectReasonCode.QuotaExceeded, "max-connections");
                return Task.CompletedTask;
            }
            transport.Client = new ClientConnection(clientId, auth.Username, args.ProtocolVersion, auth.Acl!, PublishRateLimiterFactory.Create(_limits, _time), transport);
        }
        return Task.CompletedTask;
    }

    // The registry learns of a client only after its CONNACK, so accepted CONNECTs hold a slot until then: without it,
    // a client that connects right after another's CONNACK, or a burst of CONNECTs, got past the limit.
    private bool TryAdmit(BrokerConnection transport)
    {
        if (_clients.Count + Interlocked.Increment(ref _admitting) > _limits.MaxConnections)
        {
            Interlocked.Decrement(ref _admitting);
            return false;
        }
        transport.HoldAdmission(() => Interlocked.Decrement(ref _admitting));
        return true;
    }

    /// <summary>After the CONNACK: the connection becomes the client id's current one, and its session forgets older connections' acks.</summary>
    public Task ClientConnectedAsync(ClientConnectedEventArgs args)
    {
        if (BrokerConnection.Current is { Client: { } client } transport)
        {
            _clients.Add(client);
            transport.EndAdmission();
            SessionAcks.For(args.SessionItems).ForgetOtherConnections(client);
        }
        return Task.CompletedTask;
    }

    public Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        var connection = BrokerConnection.Current?.Client;
        if (connection is not null && !connection.Acl.MaySubscribe(args.TopicFilter.Topic))
        {
            args.ProcessSubscription = false;
            // MQTT 3.1.1 has one failure code: MQTTnet sends 0x80 for either.
            args.Response.ReasonCode = _subscribeDenied;
            _metrics.Rejected("subscribe-not-authorized");
            MqttIngestLog.SubscribeRejected(_logger, args.ClientId, args.TopicFilter.Topic);
        }
        return Task.CompletedTask;
    }

    public Task ClientDisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        // A takeover's event runs on the new connection; the old one's state simply ends with its connection.
        if (args.DisconnectType != MqttClientDisconnectType.Takeover && BrokerConnection.Current?.Client is { } client)
        {
            _clients.Remove(client);
        }
        return Task.CompletedTask;
    }

    private void Refuse(ValidatingConnectionEventArgs args, string clientId, MqttConnectReasonCode code, string reason)
    {
        args.ReasonCode = code;
        _metrics.Rejected(reason);
        _metrics.ConnectionClosed(reason);
        MqttIngestLog.ConnectRefused(_logger, clientId, reason, args.UserName, args.RemoteEndPoint?.ToString());
    }
}
