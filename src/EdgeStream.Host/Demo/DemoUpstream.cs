using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Host.Demo;

/// <summary>
/// The demo's stand-in for the cloud: an HTTP receiver on loopback that accepts the HTTP sink's batches (gzip JSON
/// lines) and counts records, and distinct record ids, so the demo can show the drain and the dedup key at work.
/// Thread-safe.
/// </summary>
internal sealed class DemoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HashSet<string> _ids = [];
    private long _received;

    private DemoUpstream(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public long Received => Interlocked.Read(ref _received);

    public int Distinct
    {
        get
        {
            lock (_ids)
            {
                return _ids.Count;
            }
        }
    }

    public static async Task<DemoUpstream> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new DemoUpstream(app);
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
        Stream body = request.Body;
        if (request.Headers.ContentEncoding == "gzip")
        {
            body = new GZipStream(request.Body, CompressionMode.Decompress);
        }
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            using var record = JsonDocument.Parse(line);
            var id = record.RootElement.GetProperty("id").GetString() ?? "";
            Interlocked.Increment(ref _received);
            lock (_ids)
            {
                _ids.Add(id);
            }
        }
        return Results.Ok();
    }
}
