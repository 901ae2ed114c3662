using EdgeStream.Sinks.Kafka;

// In the DI namespace by convention, so hosts call AddKafkaSink without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>kafka</c> sink type.</summary>
public static class KafkaSinkServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>Forwarding:Sinks</c> entries with <c>Type: kafka</c> forward to Kafka (Confluent.Kafka idempotent producer): registers
    /// <see cref="KafkaSinkFactory"/> as an <c>ISinkFactory</c>, keyed <c>"kafka"</c>. Idempotent.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaSink(this IServiceCollection services) => services.AddSinkFactory<KafkaSinkFactory>();
}
