using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>
/// A real ASP.NET Core (Kestrel) receiver on 127.0.0.1 that accepts EdgeStream's JSON-lines batches, honours
/// Idempotency-Key (a repeated key is acknowledged without storing again), and can be told to fail.
/// </summary>
public sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _lock = new();
    private readonly List<string> _ids = [];
    private readonly List<string> _keys = [];
    private readonly HashSet<string> _seenKeys = [];
    private int _requests;
    private int _refused;

    private HttpReceiver(WebApplication app) => _app = app;

    /// <summary>Answer this many first requests with 503 and Retry-After: 0.</summary>
    public int FailFirst { get; set; }

    /// <summary>Answer every POST to /ingest with this status (a 3xx carries Location: /moved, which accepts); null: normal.</summary>
    public int? AnswerStatus { get; set; }

    /// <summary>Requests answered with <see cref="AnswerStatus"/>.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>
    /// After storing a batch, answer this status with a body that never ends (16 KiB chunks until the client hangs up,
    /// at most ~2 GiB); null: the normal empty answer. Applies also to <see cref="AnswerStatus"/> answers.
    /// </summary>
    public int? EndlessBodyStatus { get; set; }

    /// <summary>Answer 400 to any batch holding a record whose value contains this text.</summary>
    public string? RejectValuesContaining { get; set; }

    public string Url => _app.Urls.First() + "/ingest";

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_lock)
            {
                return _ids.ToList();
            }
        }
    }

    public IReadOnlyList<string> IdempotencyKeys
    {
        get
        {
            lock (_lock)
            {
                return _keys.ToList();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ids.Count;
            }
        }
    }

    public static async Task<HttpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new HttpReceiver(app);
        app.MapPost("/ingest", receiver.HandleAsync);
        app.MapPost("/moved", receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpRequest request)
    {
        if (AnswerStatus is { } answer && request.Path == "/ingest")
        {
            Interlocked.Increment(ref _refused);
            if (EndlessBodyStatus is not null)
            {
                await WriteEndlessBodyAsync(request.HttpContext, answer);
                return Results.Empty;
            }
            if (answer is >= 300 and < 400)
            {
                request.HttpContext.Response.Headers.Location = $"{request.Scheme}://{request.Host}/moved";
            }
            return Results.StatusCode(answer);
        }
        var n = Interlocked.Increment(ref _requests);
        if (n <= FailFirst)
        {
            request.HttpContext.Response.Headers.RetryAfter = "0";
            return Results.StatusCode(503);
        }
        Stream body = request.Body;
        if (request.Headers.ContentEncoding == "gzip")
        {
            body = new GZipStream(body, CompressionMode.Decompress);
        }
        using var reader = new StreamReader(body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ids = new List<string>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var value = Encoding.UTF8.GetString(doc.RootElement.GetProperty("value").GetBytesFromBase64());
            if (RejectValuesContaining is { } bad && value.Contains(bad, StringComparison.Ordinal))
            {
                return Results.BadRequest("value refused");
            }
            ids.Add(doc.RootElement.GetProperty("id").GetString()!);
        }
        var key = request.Headers["Idempotency-Key"].ToString();
        lock (_lock)
        {
            if (_seenKeys.Add(key))
            {
                _keys.Add(key);
                _ids.AddRange(ids);
            }
        }
        if (EndlessBodyStatus is { } endless)
        {
            await WriteEndlessBodyAsync(request.HttpContext, endless);
            return Results.Empty;
        }
        return Results.Ok();
    }

    private static async Task WriteEndlessBodyAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        var chunk = new byte[16 << 10];
        chunk.AsSpan().Fill((byte)'x');
        var aborted = context.RequestAborted;
        try
        {
            for (int i = 0; i < 131_072 && !aborted.IsCancellationRequested; i++)
            {
                await context.Response.Body.WriteAsync(chunk, aborted);
                await context.Response.Body.FlushAsync(aborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client hung up: what the test wants.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
