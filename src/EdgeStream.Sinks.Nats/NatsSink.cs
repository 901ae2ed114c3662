using System.Text;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EdgeStream.Sinks.Nats;

/// <summary>
/// Publishes to JetStream with <c>Nats-Msg-Id</c> = the record id and waits for each PubAck, one message after the
/// other: a pipelined publish whose middle message fails would let later ones be stored first, and JetStream's
/// de-duplication would then keep them out of order. Record headers travel as NATS headers. Optionally creates the
/// stream on first use. Thread-safe (one connection, multiplexed).
/// </summary>
internal sealed class NatsSink : ISink
{
    private readonly NatsSinkSettings _settings;
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _streamLock = new(1, 1);
    private bool _streamReady;

    public NatsSink(NatsSinkSettings settings, string nodeId, string sinkName, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _logger = loggerFactory.CreateLogger<NatsSink>();
        _connection = new NatsConnection(NatsOpts.Default with
        {
            Url = settings.Url,
            Name = $"edgestream-{nodeId}-{sinkName}",
            AuthOpts = NatsAuthOpts.Default with { Username = settings.Username, Password = settings.Password, Token = settings.Token },
            LoggerFactory = loggerFactory,
            RequestTimeout = settings.AckTimeout,
        });
        _js = new NatsJSContext(_connection);
    }

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        await _connection.ConnectAsync().ConfigureAwait(false);
        await EnsureStreamAsync(cancellationToken).ConfigureAwait(false);
        var subject = _settings.SubjectFor(batch.Topic, batch.Partition);
        foreach (var r in batch.Records)
        {
            // Nats-Msg-Id travels in the publish options; a header block is only built when there is more to carry.
            NatsHeaders? headers = null;
            foreach (var h in r.Headers)
            {
                (headers ??= []).Add(h.Name, Encoding.UTF8.GetString(h.Value.Span));
            }
            if (r.Key is { } key)
            {
                (headers ??= [])["EdgeStream-Key"] = Convert.ToBase64String(key.Span);
            }
            var ack = await _js.PublishAsync(subject, r.Value.ToArray(), opts: new NatsJSPubOpts { MsgId = batch.IdOf(r) }, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            // A duplicate ack means an earlier attempt was stored but its ack was lost: delivered. Other errors throw.
            if (!ack.Duplicate)
            {
                ack.EnsureSuccess();
            }
        }
        return SendResult.Delivered;
    }

    private async Task EnsureStreamAsync(CancellationToken cancellationToken)
    {
        if (!_settings.CreateStream || Volatile.Read(ref _streamReady))
        {
            return;
        }
        await _streamLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_streamReady)
            {
                return;
            }
            var config = new StreamConfig(_settings.Stream!, [_settings.StreamSubjects])
            {
                NumReplicas = _settings.Replicas,
                // Wide enough to absorb a resend after a long outage; JetStream's default is 2 minutes.
                DuplicateWindow = TimeSpan.FromHours(1),
            };
            await _js.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
            NatsLog.StreamReady(_logger, _settings.Stream!, _settings.StreamSubjects, _settings.Replicas);
            Volatile.Write(ref _streamReady, true);
        }
        finally
        {
            _streamLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _streamLock.Dispose();
    }
}
