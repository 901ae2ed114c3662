using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Host.Tests;

/// <summary>
/// An HTTP sink's upstream on loopback that answers its first batch 500 (so the sink records an error) and holds every
/// later one for <c>delay</c> before 200, like a slow cloud endpoint. Counts requests; stopped on dispose.
/// </summary>
internal sealed class SlowUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeSpan _delay;
    private readonly TaskCompletionSource _slowSendInFlight = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;

    private SlowUpstream(WebApplication app, TimeSpan delay)
    {
        _app = app;
        _delay = delay;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Completes when a batch is being held (a send is in flight).</summary>
    public Task SlowSendInFlight => _slowSendInFlight.Task;

    public static async Task<SlowUpstream> StartAsync(TimeSpan delay)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new SlowUpstream(app, delay);
        app.MapPost("/ingest", upstream.ReceiveAsync);
        await app.StartAsync();
        upstream.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        await request.Body.CopyToAsync(Stream.Null, cancellationToken);
        if (Interlocked.Increment(ref _requests) == 1)
        {
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        }
        _slowSendInFlight.TrySetResult();
        // The upstream's slowness is what is simulated here, not a wait for something in the test.
        // The slowness under test (an upstream that answers late), not synchronisation.
        await Task.Delay(_delay, cancellationToken);
        return Results.Ok();
    }
}
