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
/// stream on first use. A record larger than the server's <c>max_payload</c> (from the connection's server info) is
/// dead-lettered; an authentication/authorization or permissions error is misconfiguration
/// (<see cref="SinkRejectedException"/>); the rest is retried. Header names NATS refuses (anything but printable ASCII
/// without ':') and values with CR/LF are sent encoded (<see cref="NatsHeaderCodec"/>). Thread-safe (one connection,
/// multiplexed).
/// </summary>
internal sealed class NatsSink : ISink, ISinkConnectivity
{
    private readonly NatsSinkSettings _settings;
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _streamLock = new(1, 1);
    private bool _streamReady;
    private volatile bool _connectTried;

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

    /// <inheritdoc />
    public string? Unreachable => _connectTried && _connection.ConnectionState != NatsConnectionState.Open
        ? $"NATS connection {_connection.ConnectionState}"
        : null;

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        _connectTried = true;
        try
        {
            await _connection.ConnectAsync().ConfigureAwait(false);
            await EnsureStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsMisconfiguration(e))
        {
            throw new SinkRejectedException($"NATS refused the sink: {e.Message}", e);
        }
        var subject = _settings.SubjectFor(batch.Topic, batch.Partition);
        var maxPayload = _connection.ServerInfo?.MaxPayload ?? int.MaxValue;
        List<RejectedRecord>? rejected = null;
        foreach (var r in batch.Records)
        {
            // Nats-Msg-Id travels in the publish options; a header block is only built when there is more to carry.
            NatsHeaders? headers = null;
            foreach (var h in r.Headers)
            {
                var (name, value) = NatsHeaderCodec.Encode(h.Name, h.Value.Span);
                (headers ??= []).Add(name, value);
            }
            if (r.Key is { } key)
            {
                (headers ??= [])["EdgeStream-Key"] = Convert.ToBase64String(key.Span);
            }
            var size = r.Value.Length + HeaderBytes(headers) + batch.IdOf(r).Length + 64;
            if (size > maxPayload)
            {
                (rejected ??= []).Add(new RejectedRecord(r, $"NATS max payload exceeded: about {size} bytes, server max_payload {maxPayload}"));
                continue;
            }
            PubAckResponse ack;
            try
            {
                ack = await _js.PublishAsync(subject, r.Value.ToArray(), opts: new NatsJSPubOpts { MsgId = batch.IdOf(r) }, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (NatsPayloadTooLargeException e)
            {
                (rejected ??= []).Add(new RejectedRecord(r, $"NATS max payload exceeded: {e.Message}"));
                continue;
            }
            catch (Exception e) when (IsMisconfiguration(e))
            {
                throw new SinkRejectedException($"NATS refused publishing to {subject}: {e.Message}", e);
            }
            // A duplicate ack means an earlier attempt was stored but its ack was lost: delivered. Other errors throw.
            if (!ack.Duplicate)
            {
                ack.EnsureSuccess();
            }
        }
        return rejected is null ? SendResult.Delivered : new SendResult(rejected);
    }

    private static int HeaderBytes(NatsHeaders? headers)
        => headers is null ? 0 : headers.Sum(h => h.Key.Length + h.Value.Sum(v => (v?.Length ?? 0) + 4));

    /// <summary>Authentication, authorization and permission errors: no retry helps until the configuration changes.</summary>
    internal static bool IsMisconfiguration(Exception e)
    {
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            if (x is NatsServerException { IsAuthError: true }
                || x.Message.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)
                || x.Message.Contains("Permissions Violation", StringComparison.OrdinalIgnoreCase)
                || x.Message.Contains("Authentication", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
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
