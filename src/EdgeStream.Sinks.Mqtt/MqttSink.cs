using System.Security.Cryptography.X509Certificates;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Sinks.Mqtt;

/// <summary>
/// Publishes each record at QoS 1 over one MQTT 5 connection with a persistent session (clean start off, session
/// expiry), with user property <c>edgestream-id</c> and the record's headers as further user properties. Messages of a
/// batch are published one after the other, each awaiting its PUBACK, so a partition's order survives reconnects.
/// Reconnects lazily before a batch. Errors are classified (docs/forwarding.md): a CONNACK refusing the client
/// (not authorized, bad credentials, banned, …) and a PUBACK NotAuthorized, or TopicNameInvalid for the configured
/// topic, are misconfiguration (<see cref="SinkRejectedException"/>, never dead-lettered); a PUBACK PacketTooLarge or
/// PayloadFormatInvalid, or TopicNameInvalid for a record's own original topic, rejects that record (dead-lettered);
/// anything else is retried. Thread-safe.
/// </summary>
internal sealed class MqttSink : ISink, ISinkConnectivity
{
    public const string IdProperty = "edgestream-id";

    // MQTT 5 reason code 0x95; MQTTnet's enum has no name for it but passes the broker's value through.
    private const MqttClientPublishReasonCode PacketTooLarge = (MqttClientPublishReasonCode)0x95;

    private readonly MqttSinkSettings _settings;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile string? _unreachable;

    public MqttSink(MqttSinkSettings settings, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _logger = loggerFactory.CreateLogger<MqttSink>();
        _client = new MqttClientFactory().CreateMqttClient();
        _options = BuildOptions(settings);
        _client.DisconnectedAsync += e =>
        {
            _unreachable = $"disconnected from {settings.Host}:{settings.Port}: {e.Reason}";
            return Task.CompletedTask;
        };
    }

    /// <inheritdoc />
    public string? Unreachable => _client.IsConnected ? null : _unreachable;

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        List<RejectedRecord>? rejected = null;
        var templateTopic = _settings.TopicFor(batch.Topic, batch.Partition, null);
        foreach (var r in batch.Records)
        {
            var original = r.Headers.Count == 0 ? null : r.GetHeader(MqttSinkSettings.OriginalTopicHeader);
            var builder = new MqttApplicationMessageBuilder()
                .WithTopic(original is null ? templateTopic : _settings.TopicFor(batch.Topic, batch.Partition, original))
                .WithPayload(r.Value.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithUserProperty(IdProperty, System.Text.Encoding.UTF8.GetBytes(batch.IdOf(r)).AsMemory());
            foreach (var h in r.Headers)
            {
                builder.WithUserProperty(h.Name, h.Value);
            }
            var result = await _client.PublishAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
            switch (result.ReasonCode)
            {
                case MqttClientPublishReasonCode.Success:
                case MqttClientPublishReasonCode.NoMatchingSubscribers:
                    break;
                case PacketTooLarge:
                case MqttClientPublishReasonCode.PayloadFormatInvalid:
                    // The broker refuses this message for good: dead-letter it rather than block the partition.
                    (rejected ??= []).Add(new RejectedRecord(r, $"PUBACK {result.ReasonCode}: {result.ReasonString}"));
                    break;
                case MqttClientPublishReasonCode.TopicNameInvalid when original is not null:
                    // The record's own MQTT topic is refused; other records of the partition may use valid ones.
                    (rejected ??= []).Add(new RejectedRecord(r, $"PUBACK {result.ReasonCode} for topic {builder.Build().Topic}: {result.ReasonString}"));
                    break;
                case MqttClientPublishReasonCode.NotAuthorized:
                case MqttClientPublishReasonCode.TopicNameInvalid:
                    // Every record of the partition would get the same answer: the sink's ACL or topic template is wrong.
                    throw new SinkRejectedException($"MQTT broker {_settings.Host}:{_settings.Port} answered PUBACK {result.ReasonCode}: {result.ReasonString}");
                default:
                    throw new InvalidOperationException($"MQTT broker answered PUBACK {result.ReasonCode}: {result.ReasonString}");
            }
        }
        return rejected is null ? SendResult.Delivered : new SendResult(rejected);
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
        {
            return;
        }
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client.IsConnected)
            {
                return;
            }
            MqttClientConnectResult result;
            try
            {
                result = await _client.ConnectAsync(_options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _unreachable = $"cannot connect to {_settings.Host}:{_settings.Port}: {e.Message}";
                throw;
            }
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                _unreachable = $"{_settings.Host}:{_settings.Port} refused the connection: {result.ResultCode}";
                throw Refused(result.ResultCode, result.ReasonString, null);
            }
            _unreachable = null;
            MqttLog.Connected(_logger, _settings.Host, _settings.Port, _settings.ClientId, result.IsSessionPresent);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private Exception Refused(MqttClientConnectResultCode code, string? reason, Exception? inner)
    {
        var message = $"MQTT broker {_settings.Host}:{_settings.Port} refused the connection: CONNACK {code} {reason}";
        if (IsMisconfiguration(code))
        {
            return inner is null ? new SinkRejectedException(message) : new SinkRejectedException(message, inner);
        }
        return new InvalidOperationException(message, inner);
    }

    /// <summary>CONNACK codes that no retry fixes until the configuration (credentials, client id, ACL, address) changes.</summary>
    internal static bool IsMisconfiguration(MqttClientConnectResultCode code) => code is
        MqttClientConnectResultCode.NotAuthorized or
        MqttClientConnectResultCode.BadUserNameOrPassword or
        MqttClientConnectResultCode.Banned or
        MqttClientConnectResultCode.ClientIdentifierNotValid or
        MqttClientConnectResultCode.BadAuthenticationMethod or
        MqttClientConnectResultCode.UnsupportedProtocolVersion or
        MqttClientConnectResultCode.UseAnotherServer or
        MqttClientConnectResultCode.ServerMoved or
        MqttClientConnectResultCode.TopicNameInvalid or
        MqttClientConnectResultCode.RetainNotSupported or
        MqttClientConnectResultCode.QoSNotSupported;

    private static MqttClientOptions BuildOptions(MqttSinkSettings s)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(s.Host, s.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(s.ClientId)
            // A persistent session: the broker keeps our in-flight QoS 1 state across reconnects.
            .WithCleanStart(false)
            .WithSessionExpiryInterval(s.SessionExpirySeconds)
            .WithTimeout(s.Timeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30));
        if (s.Username is not null)
        {
            builder.WithCredentials(s.Username, s.Password);
        }
        if (s.Tls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (s.CertFile is not null)
                {
                    tls.WithClientCertificates([X509Certificate2.CreateFromPemFile(s.CertFile, s.KeyFile)]);
                }
                if (s.CaFile is not null)
                {
                    var chain = new X509Certificate2Collection();
                    chain.ImportFromPemFile(s.CaFile);
                    tls.WithTrustChain(chain);
                }
                if (s.AllowUntrustedCertificates)
                {
                    tls.WithCertificateValidationHandler(_ => true);
                }
            });
        }
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // Best effort: the broker may already be gone; the session survives either way.
            }
        }
        _client.Dispose();
        _connectLock.Dispose();
    }
}
