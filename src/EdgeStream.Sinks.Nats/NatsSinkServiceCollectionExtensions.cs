using EdgeStream.Sinks.Nats;

// In the DI namespace by convention, so hosts call AddNatsSink without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>nats</c> sink type.</summary>
public static class NatsSinkServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>Forwarding:Sinks</c> entries with <c>Type: nats</c> forward to NATS JetStream (NATS.Net): registers
    /// <see cref="NatsSinkFactory"/> as an <c>ISinkFactory</c>, keyed <c>"nats"</c>. Idempotent.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddNatsSink(this IServiceCollection services) => services.AddSinkFactory<NatsSinkFactory>();
}
