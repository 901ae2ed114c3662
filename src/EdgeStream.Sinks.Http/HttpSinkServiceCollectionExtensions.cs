using EdgeStream.Sinks.Http;

// In the DI namespace by convention, so hosts call AddHttpSink without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>http</c> sink type.</summary>
public static class HttpSinkServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>Forwarding:Sinks</c> entries with <c>Type: http</c> forward to an HTTP endpoint (gzip JSON lines): registers
    /// <see cref="HttpSinkFactory"/> as an <c>ISinkFactory</c>, keyed <c>"http"</c>. Idempotent.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddHttpSink(this IServiceCollection services) => services.AddSinkFactory<HttpSinkFactory>();
}
