using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>
/// The hosted service that runs the admin <c>WebApplication</c> (its own Kestrel and container) inside the outer
/// generic host, sharing the outer <see cref="Log.LogStore"/>, health checks and status contributors. A bind failure
/// (port in use) fails the host's start, so systemd restarts it with a clear message. Start/stop are called by the host
/// one at a time.
/// </summary>
internal sealed class AdminHttpServer : IHostedService, IAsyncDisposable
{
    private readonly HttpOptions _options;
    private readonly IServiceProvider _services;
    private readonly AdminListenerState _state;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public AdminHttpServer(IOptions<HttpOptions> options, IServiceProvider services, AdminListenerState state, ILogger<AdminHttpServer> logger)
    {
        _options = options.Value;
        _services = services;
        _state = state;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Port == 0 && !_options.ListenOnFreePort)
        {
            _state.MarkDisabled();
            HttpLog.Disabled(_logger);
            return;
        }
        var address = HttpOptionsValidator.TryParseAddress(_options.Address)
            ?? throw new InvalidOperationException($"Http:Address '{_options.Address}' is not an IP address.");
        var endpoint = new IPEndPoint(address, _options.ListenOnFreePort ? 0 : _options.Port);
        _app = AdminApp.Build(_options, endpoint, _services);
        await _app.StartAsync(cancellationToken);
        var bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        _state.MarkListening(new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)));
        HttpLog.Listening(_logger, bound);
        if (!_options.RequiresToken && !IPAddress.IsLoopback(address))
        {
            HttpLog.AnonymousOnNetwork(_logger, bound);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
        {
            return;
        }
        _state.MarkStopped();
        // Kestrel stops accepting, then lets in-flight requests (ingest waiting for fsync) finish within the token.
        await _app.StopAsync(cancellationToken);
        HttpLog.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }
}
