using System.Net;
using EdgeStream.Ingest.Mqtt.Auth;
using EdgeStream.Ingest.Mqtt.Broker.Retained;
using EdgeStream.Ingest.Mqtt.Broker.Sys;
using EdgeStream.Ingest.Mqtt.Broker.Transport;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// The embedded MQTT broker: an MQTTnet server (3.1.1 and 5.0; retained messages, wills and local subscribers work as
/// in any broker) on a plain and an optional TLS endpoint, whose QoS 1/2 acknowledgements are sent only once the
/// message is durable in the log. Start once, stop once; the handlers it installs are thread-safe.
/// </summary>
internal sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly MqttIngestOptions _options;
    private readonly ILogger _logger;
    private readonly MqttServer _server;
    private readonly MqttAuthenticator _authenticator;

    private readonly ExactlyOnceRecovery? _recovery;
    private readonly RetainedPersistence? _retained;

    /// <summary>
    /// The broker over <paramref name="log"/>. <paramref name="sys"/> is what the <c>$SYS</c> statistics need from outside
    /// the broker (the log's size, the sinks' lag). <paramref name="store"/>, the log it writes to, is read after a
    /// restart for QoS 2 retransmissions (<see cref="ExactlyOnceRecovery"/>), and its data directory keeps the retained
    /// messages across a restart (<see cref="RetainedPersistence"/>); without it QoS 2 retransmissions may be stored
    /// twice and retained messages live in memory only.
    /// </summary>
    public EmbeddedBroker(MqttIngestOptions options, IIngestWriter log, MqttIngestMetrics metrics, TimeProvider time, ILogger logger, SysSources? sys = null, LogStore? store = null)
    {
        _options = options;
        _logger = logger;
        _authenticator = new MqttAuthenticator(options);
        Clients = new ClientRegistry();
        metrics.ObserveConnections(() => Clients.Count);
        var l = options.Limits;
        var logins = new LoginFailureThrottle(l.LoginFailuresBeforeDelay, l.LoginDelayMax, l.MaxTrackedAddresses, time);
        // Our listeners replace MQTTnet's: they bound memory per connection before MQTTnet buffers a packet.
        Transport = new GuardedTcpServerAdapter(l, logins, metrics, time, logger);
        _server = new MqttServerFactory().CreateMqttServer(BuildServerOptions(options), [Transport], new MqttNetLoggerBridge(logger));

        var gatekeeper = new ConnectionGatekeeper(_authenticator, l, Clients, logins, metrics, time, logger, options.RevealSubscribeDenials);
        _recovery = store is null ? null : new ExactlyOnceRecovery(store, options.ExactlyOnceRecoveryWindow, options.ExactlyOnceRecoveryMaxRecords, time, logger);
        var exactlyOnce = new ExactlyOnceGuard { Recovery = _recovery };
        var stamps = new PayloadStamps();
        var acks = new DurableAckInterceptor(log, metrics, time, logger);
        RetainedLimit = new RetainedLimit(l.MaxRetainedMessages, l.MaxRetainedBytes);
        var ingestor = new PublishIngestor(log, MqttRouter.FromOptions(options), l, metrics, time, logger, acks, exactlyOnce, options.DeliverAfterDurable ? stamps : null, _recovery,
            RetainedLimit);
        if (store is not null && options.RetainedSnapshotInterval > TimeSpan.Zero)
        {
            // The stamps carry a retained message's receive time, from which its absolute expiry is stored.
            _retained = new RetainedPersistence(_server, new RetainedSnapshotFile(store.Storage, store.DataDirectory), RetainedLimit, l, stamps,
                options.RetainedSnapshotInterval, time, logger);
        }
        _server.ValidatingConnectionAsync += gatekeeper.ValidateConnectionAsync;
        _server.ClientConnectedAsync += gatekeeper.ClientConnectedAsync;
        _server.InterceptingSubscriptionAsync += gatekeeper.InterceptSubscriptionAsync;
        _server.ClientDisconnectedAsync += gatekeeper.ClientDisconnectedAsync;
        _server.InterceptingInboundPacketAsync += acks.InterceptInboundAsync;
        _server.InterceptingOutboundPacketAsync += acks.InterceptOutboundAsync;
        _server.ApplicationMessageNotConsumedAsync += acks.NotConsumedAsync;
        // The statistics' enqueue check runs before Mqtt5Features counts a message queued for an offline session.
        var directory = new SubscriberDirectory(id => Clients.Get(id) is not null);
        var queuedBytes = new QueuedBytes(options.Sessions.MaxQueuedBytes, options.Sessions.MaxQueuedBytesTotal);
        if (options.SysInterval > TimeSpan.Zero)
        {
            var statistics = new BrokerStatistics(_server, Clients, directory, Transport, sys ?? new SysSources(), time, () => RetainedLimit.Bytes + queuedBytes.Total);
            Sys = new SysTopicPublisher(_server, statistics, Clients, options.SysInterval, time, logger);
            var sysPublisher = Sys;
            // $SYS messages are the broker's own: delivered, never stored (and clients cannot publish there, see ConnectionAcl).
            _server.InterceptingPublishAsync += args => sysPublisher.IsOwn(args) ? Task.CompletedTask : ingestor.InterceptAsync(args);
        }
        else
        {
            _server.InterceptingPublishAsync += ingestor.InterceptAsync;
        }
        Features = new Mqtt5Features(_server, options, Clients, time, logger, exactlyOnce, stamps, log, queuedBytes, metrics, directory);
    }

    /// <summary>The <c>$SYS</c> statistics publisher, or <c>null</c> when <c>Mqtt:SysInterval</c> is 0.</summary>
    internal SysTopicPublisher? Sys { get; }

    /// <summary>Deny-at-delivery, shared subscriptions, session expiry (see <see cref="Mqtt5Features"/>).</summary>
    internal Mqtt5Features Features { get; }

    internal ClientRegistry Clients { get; }

    /// <summary>The account of retained messages against <c>Mqtt:Limits:MaxRetainedMessages</c> / <c>MaxRetainedBytes</c>.</summary>
    internal RetainedLimit RetainedLimit { get; }

    /// <summary>The retained messages' snapshot, or <c>null</c> without a log store or with <c>Mqtt:RetainedSnapshotInterval</c> 0.</summary>
    internal RetainedPersistence? RetainedPersistence => _retained;

    /// <summary>The listeners: pending and open connection counts.</summary>
    internal GuardedTcpServerAdapter Transport { get; }

    /// <summary>The underlying server, for local in-process publishing and inspection.</summary>
    internal MqttServer Server => _server;

    public async Task StartAsync()
    {
        // Before the first connection: what lies below these ends was stored before this start.
        _recovery?.Start();
        // Loads the retained messages' snapshot (RetainedPersistence) before the listeners open.
        await _server.StartAsync();
        _retained?.Start();
        Sys?.Start();
        if (_options.Port != 0)
        {
            LogListener($"{_options.Host}:{_options.Port}", tls: false, _options.Host, _authenticator.AnonymousOnPlain);
        }
        if (_options.Tls.Port != 0)
        {
            LogListener($"{_options.Tls.Host}:{_options.Tls.Port}", tls: true, _options.Tls.Host, _authenticator.AnonymousOnTls);
        }
    }

    private void LogListener(string endpoint, bool tls, string host, bool anonymous)
    {
        MqttIngestLog.Listening(_logger, endpoint, tls, anonymous);
        if (anonymous && !MqttAuthenticator.IsLoopback(host))
        {
            MqttIngestLog.AnonymousOnNetwork(_logger, endpoint);
        }
    }

    public async Task StopAsync()
    {
        if (Sys is not null)
        {
            await Sys.StopAsync();
        }
        if (_server.IsStarted)
        {
            if (_retained is not null)
            {
                await _retained.BeginStopAsync();
            }
            await _server.StopAsync(new MqttServerStopOptions());
            if (_retained is not null)
            {
                // After the connections closed: their last retained publishes and wills are in it.
                await _retained.CompleteStopAsync();
            }
            MqttIngestLog.Stopped(_logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Features.Dispose();
        _recovery?.Dispose();
        _retained?.Dispose();
        _server.Dispose();
    }

    private static MqttServerOptions BuildServerOptions(MqttIngestOptions o)
    {
        // New messages beyond the per-session cap are dropped, not the oldest: MQTTnet 5.2 drops the oldest only from
        // the send queue and keeps a QoS 1/2 copy in the session's unacknowledged list, which then grows without bound
        // and is sent again at the next reconnect, behind newer messages (MqttSession.EnqueueDataPacket, Recover).
        var builder = new MqttServerOptionsBuilder().WithPersistentSessions().WithMaxPendingMessagesPerClient(o.Sessions.MaxQueuedMessages)
            .WithPendingMessagesOverflowStrategy(MQTTnet.Server.MqttPendingMessagesOverflowStrategy.DropNewMessage);
        var server = builder.Build();
        Bind(server.DefaultEndpointOptions, o.Host, o.Port);
        if (o.Tls.Port != 0)
        {
            var tls = server.TlsEndpointOptions;
            Bind(tls, o.Tls.Host, o.Tls.Port);
            tls.CertificateProvider = new MQTTnet.Certificates.X509CertificateProvider(TlsCertificates.LoadServerCertificate(o.Tls));
            tls.SslProtocol = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
            if (!string.Equals(o.Tls.ClientCertificates, "none", StringComparison.OrdinalIgnoreCase))
            {
                // Request a certificate in both modes; the validator lets "optional" clients without one through.
                tls.ClientCertificateRequired = true;
                tls.RemoteCertificateValidationCallback = TlsCertificates.ClientValidator(o.Tls);
            }
        }
        return server;
    }

    /// <summary>Binds an endpoint to exactly one address (MQTTnet otherwise listens on IPv4 and IPv6 "any").</summary>
    private static void Bind(MqttServerTcpEndpointBaseOptions endpoint, string host, int port)
    {
        if (port == 0)
        {
            endpoint.IsEnabled = false;
            return;
        }
        var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(host);
        endpoint.IsEnabled = true;
        endpoint.Port = port;
        endpoint.NoDelay = true;
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            endpoint.BoundInterNetworkAddress = IPAddress.None;
            endpoint.BoundInterNetworkV6Address = address;
        }
        else
        {
            endpoint.BoundInterNetworkAddress = address;
            endpoint.BoundInterNetworkV6Address = IPAddress.None;
        }
    }
}
