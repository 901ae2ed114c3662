using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>
/// The host's <see cref="IServer"/>: Kestrel (registered by the web host, kept under <see cref="KestrelKey"/>) when the
/// admin server is enabled, nothing at all when <c>Http:Port</c> is 0 — Kestrel would otherwise bind its default
/// <c>localhost:5000</c>. Listens only where <c>Http:Address</c>/<c>Http:Port</c> say: addresses from <c>urls</c>,
/// <c>ASPNETCORE_URLS</c> or <c>http_ports</c> are dropped. A bind failure (port in use) fails the host's start.
/// Kestrel is resolved only when enabled, after options validation. Start/stop are called by the host one at a time.
/// </summary>
internal sealed class AdminWebServer : IServer
{
    /// <summary>The service key the web host's own <see cref="IServer"/> (Kestrel) is moved to.</summary>
    public const string KestrelKey = "EdgeStream.Http.Kestrel";

    private readonly IServiceProvider _services;
    private readonly IOptions<HttpOptions> _options;
    private readonly AdminListenerState _state;
    private readonly ILogger _logger;
    private IServer? _kestrel;

    public AdminWebServer(IServiceProvider services, IOptions<HttpOptions> options, AdminListenerState state, ILogger<AdminWebServer> logger)
    {
        _services = services;
        _options = options;
        _state = state;
        _logger = logger;
        Features.Set<IServerAddressesFeature>(_addresses);
    }

    private bool Enabled => _options.Value.Port != 0 || _options.Value.ListenOnFreePort;

    private IServer Kestrel => _kestrel ??= _services.GetRequiredKeyedService<IServer>(KestrelKey);

    /// <summary>
    /// The host reads these before start (to add <c>urls</c>, which are ignored) and after (to log where it listens):
    /// its own set, because the options (and so Kestrel) may not be read before validation. After start the addresses
    /// are the ones Kestrel bound.
    /// </summary>
    public IFeatureCollection Features { get; } = new FeatureCollection();

    private readonly BoundAddresses _addresses = new();

    public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        if (!Enabled)
        {
            _state.MarkDisabled();
            HttpLog.Disabled(_logger);
            return;
        }
        var options = _options.Value;
        var address = HttpOptionsValidator.TryParseAddress(options.Address)
            ?? throw new InvalidOperationException($"Http:Address '{options.Address}' is not an IP address.");
        // The endpoint comes from KestrelSetup only; what the web host copied in from urls/http_ports is dropped.
        _addresses.Addresses.Clear();
        await Kestrel.StartAsync(application, cancellationToken);
        foreach (var a in Kestrel.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            _addresses.Addresses.Add(a);
        }
        var bound = _addresses.Addresses.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        _state.MarkListening(new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)));
        HttpLog.Listening(_logger, bound);
        if (!options.RequiresToken && !IPAddress.IsLoopback(address))
        {
            HttpLog.AnonymousOnNetwork(_logger, bound);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_kestrel is null)
        {
            return;
        }
        _state.MarkStopped();
        _addresses.Addresses.Clear();
        // Kestrel stops accepting, then lets in-flight requests (ingest waiting for fsync) finish within the token.
        await _kestrel.StopAsync(cancellationToken);
        HttpLog.Stopped(_logger);
    }

    private sealed class BoundAddresses : IServerAddressesFeature
    {
        public ICollection<string> Addresses { get; } = [];

        public bool PreferHostingUrls { get; set; }
    }

    /// <summary>Kestrel itself is a keyed singleton: the container disposes it.</summary>
    public void Dispose()
    {
    }
}
