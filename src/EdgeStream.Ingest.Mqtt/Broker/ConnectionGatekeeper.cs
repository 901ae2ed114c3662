using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Limits;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// CONNECT, SUBSCRIBE and disconnect handling of the embedded broker: authentication, the connection limit,
/// subscription ACLs (the will topic's ACL is checked when the will is published, see PublishIngestor), and the <see cref="ClientRegistry"/> bookkeeping. Thread-safe.
/// </summary>
internal sealed class ConnectionGatekeeper
{
    private readonly MqttAuthenticator _authenticator;
    private readonly MqttLimitsOptions _limits;
    private readonly ClientRegistry _clients;
    private readonly MqttIngestMetrics _metrics;
    private readonly ILogger _logger;

    public ConnectionGatekeeper(MqttAuthenticator authenticator, MqttLimitsOptions limits, ClientRegistry clients, MqttIngestMetrics metrics, ILogger logger)
    {
        _authenticator = authenticator;
        _limits = limits;
        _clients = clients;
        _metrics = metrics;
        _logger = logger;
    }

    public Task ValidateConnectionAsync(ValidatingConnectionEventArgs args)
    {
        if (string.IsNullOrEmpty(args.ClientId))
        {
            // MQTT 5 lets the server assign an id to a client that sent none (3.1.1 is refused by MQTTnet itself).
            args.AssignedClientIdentifier = "auto-" + Guid.NewGuid().ToString("N");
        }
        var clientId = string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId;
        var remote = args.RemoteEndPoint?.ToString();

        // A reconnect with the same id replaces its old connection, so it does not count against the limit.
        if (_clients.Count >= _limits.MaxConnections && _clients.Get(clientId) is null)
        {
            Refuse(args, clientId, MqttConnectReasonCode.QuotaExceeded, "max-connections", remote);
            return Task.CompletedTask;
        }

        var auth = _authenticator.Authenticate(args.UserName, args.Password, args.ClientCertificate, args.IsSecureConnection, clientId);
        if (!auth.Accepted)
        {
            var code = auth.Failure == AuthFailure.BadCredentials ? MqttConnectReasonCode.BadUserNameOrPassword : MqttConnectReasonCode.NotAuthorized;
            Refuse(args, clientId, code, auth.Failure == AuthFailure.BadCredentials ? "bad-credentials" : "not-authorized", remote);
            return Task.CompletedTask;
        }
        _clients.Add(new ClientConnection(clientId, auth.Username, args.ProtocolVersion, auth.Acl!, PublishRateLimiterFactory.Create(_limits)));
        return Task.CompletedTask;
    }

    public Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        var connection = _clients.Get(args.ClientId);
        if (connection is not null && !connection.Acl.MaySubscribe(args.TopicFilter.Topic))
        {
            args.ProcessSubscription = false;
            args.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            _metrics.Rejected("subscribe-not-authorized");
            MqttIngestLog.SubscribeRejected(_logger, args.ClientId, args.TopicFilter.Topic);
        }
        return Task.CompletedTask;
    }

    public Task ClientDisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        if (args.DisconnectType != MqttClientDisconnectType.Takeover)
        {
            _clients.Remove(args.ClientId);
        }
        return Task.CompletedTask;
    }

    private void Refuse(ValidatingConnectionEventArgs args, string clientId, MqttConnectReasonCode code, string reason, string? remote)
    {
        args.ReasonCode = code;
        _metrics.Rejected(reason);
        MqttIngestLog.ConnectRefused(_logger, clientId, reason, args.UserName, remote);
    }
}
