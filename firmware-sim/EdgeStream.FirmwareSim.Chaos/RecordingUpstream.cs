using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// The cloud end of the chaos run: a Kestrel receiver on 127.0.0.1 that accepts the HTTP sink's batches (JSON lines,
/// gzip or not) and records every record it is given, duplicates included, in arrival order. It never deduplicates
/// itself: the checker does, by id. Thread-safe.
/// </summary>
internal sealed class RecordingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Delivery> _deliveries = [];
    private long _requests;

    private RecordingUpstream(WebApplication app) => _app = app;

    /// <summary>Where the sink posts.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The port Kestrel listens on.</summary>
    public int Port => new Uri(Url).Port;

    /// <summary>Batches accepted.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Every record received so far, in arrival order.</summary>
    public IReadOnlyList<Delivery> Snapshot()
    {
        lock (_deliveries)
        {
            return [.. _deliveries];
        }
    }

    public static async Task<RecordingUpstream> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The sink's batches are at most Batch:MaxBytes of payload, base64 and JSON around it.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64L << 20);
        var app = builder.Build();
        var upstream = new RecordingUpstream(app);
        app.MapPost("/ingest", upstream.ReceiveAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.Url = address + "/ingest";
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        var batch = new List<Delivery>();
        using (var reader = new StreamReader(body, Encoding.UTF8))
        {
            // Read the whole batch before recording any of it: a batch cut off mid-body was not delivered.
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                var value = r.GetProperty("value").GetBytesFromBase64();
                batch.Add(new Delivery(r.GetProperty("id").GetString() ?? "", r.GetProperty("topic").GetString() ?? "",
                    r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64(), RecordTag.Hash(value), RecordTag.From(value)));
            }
        }
        lock (_deliveries)
        {
            _deliveries.AddRange(batch);
        }
        Interlocked.Increment(ref _requests);
        return Results.Ok();
    }
}
