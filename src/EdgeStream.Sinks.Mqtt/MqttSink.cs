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
/// Reconnects lazily before a batch. Thread-safe.
/// </summary>
internal sealed class MqttSink : ISink
{
    public const string IdProperty = "edgestream-id";

    private readonly MqttSinkSettings _settings;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly SemaphoreSlim _connectLock = new(1, 1);

    public MqttSink(MqttSinkSettings settings, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _logger = loggerFactory.CreateLogger<MqttSink>();
        _client = new MqttClientFactory().CreateMqttClient();
        _options = BuildOptions(settings);
    }

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
                case MqttClientPublishReasonCode.TopicNameInvalid:
                case MqttClientPublishReasonCode.PayloadFormatInvalid:
                case MqttClientPublishReasonCode.NotAuthorized:
                    // The broker refuses this message for good: dead-letter it rather than block the partition.
                    (rejected ??= []).Add(new RejectedRecord(r, $"PUBACK {result.ReasonCode}: {result.ReasonString}"));
                    break;
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
            var result = await _client.ConnectAsync(_options, cancellationToken).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"MQTT broker refused the connection: {result.ResultCode} {result.ReasonString}");
            }
            MqttLog.Connected(_logger, _settings.Host, _settings.Port, _settings.ClientId, result.IsSessionPresent);
        }
        finally
        {
            _connectLock.Release();
        }
    }

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
