using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Bench.Footprint;

/// <summary>The upstream of the HTTP sink: a loopback Kestrel endpoint that reads and discards each body and answers 200.</summary>
internal sealed class SinkReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;
    private long _bytes;

    private SinkReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public (long Requests, long Bytes) Snapshot() => (Interlocked.Read(ref _requests), Interlocked.Read(ref _bytes));

    public static async Task<SinkReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        SinkReceiver? self = null;
        app.MapPost("/ingest", async (HttpContext context) =>
        {
            var buffer = new byte[16 * 1024];
            long total = 0;
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += n;
            }
            if (self is not null)
            {
                Interlocked.Increment(ref self._requests);
                Interlocked.Add(ref self._bytes, total);
            }
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new SinkReceiver(app, address.TrimEnd('/') + "/ingest");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
