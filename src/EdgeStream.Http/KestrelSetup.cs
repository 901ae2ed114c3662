using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeStream.Http;

/// <summary>
/// Points Kestrel at <c>Http:Address</c>/<c>Http:Port</c> (an OS-chosen port for tests) with the limits of
/// <c>Http:MaxBodyBytes</c> and <c>Http:MaxConnections</c>. EdgeStream's settings are the only source of listeners: a
/// <c>Kestrel</c> section in the host's configuration is ignored, so it cannot add endpoints the operator never asked
/// for. Runs once, when Kestrel is created (only if the admin server is enabled, after validation). Stateless.
/// </summary>
internal sealed class KestrelSetup(IOptions<HttpOptions> options) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        var http = options.Value;
        var address = HttpOptionsValidator.TryParseAddress(http.Address)
            ?? throw new InvalidOperationException($"Http:Address '{http.Address}' is not an IP address.");
        kestrel.Configure(new ConfigurationBuilder().Build(), reloadOnChange: false);
        kestrel.Listen(new IPEndPoint(address, http.ListenOnFreePort ? 0 : http.Port));
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = http.MaxBodyBytes;
        kestrel.Limits.MaxConcurrentConnections = http.MaxConnections;
    }
}
