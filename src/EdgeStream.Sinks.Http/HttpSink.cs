using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Http;

/// <summary>
/// POSTs each batch as JSON lines with <c>Idempotency-Key: {nodeId}/{topic}/{partition}/{first}-{last}</c>.
/// 2xx: delivered. 408, 429 and 5xx: thrown (retried by the engine, honouring <c>Retry-After</c>). 400, 413 and 422
/// reject records: the batch is split in halves until the refused records are isolated; those are returned as
/// rejected (the engine moves them to <c>&lt;topic&gt;.dlq</c>), the rest are delivered. Every other status — 401, 403,
/// 404, 405, 407, 410, any other 4xx and every 3xx — says the sink is misconfigured: <see cref="SinkRejectedException"/>
/// (retried with backoff, nothing dead-lettered). Redirects are never followed: a POST body and its credentials go only
/// to the configured URL. Only the status line and headers are awaited: a 2xx body is never read, and an error's
/// body only up to 1 KiB (for the message), so no answer can fill memory or stall the loop. Thread-safe.
/// </summary>
internal sealed class HttpSink : ISink
{
    private readonly HttpSinkSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _client;

    public HttpSink(HttpSinkSettings settings, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _time = time;
        _logger = loggerFactory.CreateLogger<HttpSink>();
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // A redirect is a configuration error to fix, not a hop to take: following it would resend the body (and
            // the Authorization header) to wherever the Location points.
            AllowAutoRedirect = false,
        }) { Timeout = settings.Timeout };
    }

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        var rejected = new List<RejectedRecord>();
        await PostAsync(batch, rejected, cancellationToken).ConfigureAwait(false);
        return rejected.Count == 0 ? SendResult.Delivered : new SendResult(rejected);
    }

    private async Task PostAsync(SinkBatch batch, List<RejectedRecord> rejected, CancellationToken cancellationToken)
    {
        using var response = await SendRequestAsync(batch, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var reason = await DescribeAsync(response, cancellationToken).ConfigureAwait(false);
        switch (Classify(status))
        {
            case Outcome.Transient:
                throw new SinkRetryAfterException($"POST {_settings.Url} for {batch.BatchId}: {reason}", RetryAfter(response));
            case Outcome.Misconfigured:
                var location = response.Headers.Location is { } to ? $" (redirect to {to}, not followed)" : "";
                throw new SinkRejectedException($"POST {_settings.Url}: {reason}{location}");
        }
        if (batch.Records.Count == 1)
        {
            HttpLog.Rejected(_logger, batch.BatchId, reason);
            rejected.Add(new RejectedRecord(batch.Records[0], reason));
            return;
        }
        // Bisect so that one bad record does not dead-letter its healthy neighbours; halves go in order.
        var half = batch.Records.Count / 2;
        await PostAsync(batch.Slice(0, half), rejected, cancellationToken).ConfigureAwait(false);
        await PostAsync(batch.Slice(half, batch.Records.Count - half), rejected, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a non-2xx status means; see the class summary and docs/forwarding.md.</summary>
    internal static Outcome Classify(int status) => status switch
    {
        408 or 429 or >= 500 => Outcome.Transient,
        400 or 413 or 422 => Outcome.BadRecord,
        _ => Outcome.Misconfigured,
    };

    internal enum Outcome
    {
        Transient,
        BadRecord,
        Misconfigured,
    }

    private Task<HttpResponseMessage> SendRequestAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(JsonLinesBody.Encode(batch, _settings.Gzip));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        if (_settings.Gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }
        var request = new HttpRequestMessage(HttpMethod.Post, _settings.Url) { Content = content };
        request.Headers.Add("Idempotency-Key", batch.BatchId);
        if (_settings.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (_settings.Username is { } user)
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{_settings.Password}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
        foreach (var (name, value) in _settings.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return SendAndDisposeRequestAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAndDisposeRequestAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            // Headers only: the status decides. A 2xx body is never read (disposing the response drops it, so a huge or
            // never-ending one cannot fill memory or turn a delivered batch into a timeout and a resend); an error's
            // body is read only up to ResponseBodyStart.MaxBytes for the message.
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await ResponseBodyStart.ReadAsync(response.Content, _settings.Timeout, cancellationToken).ConfigureAwait(false);
        return $"{(int)response.StatusCode} {response.ReasonPhrase ?? ((HttpStatusCode)(int)response.StatusCode).ToString()}{(body.Length > 0 ? ": " + body : "")}";
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
