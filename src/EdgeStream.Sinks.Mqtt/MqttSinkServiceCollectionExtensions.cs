using EdgeStream.Sinks.Mqtt;

// In the DI namespace by convention, so hosts call AddMqttSink without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>mqtt</c> sink type.</summary>
public static class MqttSinkServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>Forwarding:Sinks</c> entries with <c>Type: mqtt</c> forward to an MQTT broker (MQTTnet client): registers
    /// <see cref="MqttSinkFactory"/> as an <c>ISinkFactory</c>, keyed <c>"mqtt"</c>. Idempotent.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddMqttSink(this IServiceCollection services) => services.AddSinkFactory<MqttSinkFactory>();
}
