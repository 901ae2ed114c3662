using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Mqtt;

/// <summary>Creates <c>mqtt</c> sinks (MQTTnet client, MQTT 5, QoS 1). Stateless and thread-safe.</summary>
public sealed class MqttSinkFactory : ISinkFactory
{
    /// <inheritdoc />
    public string Type => "mqtt";

    /// <inheritdoc />
    public void Validate(SinkOptions options, string path) => MqttSinkSettings.From(options, "", path);

    /// <inheritdoc />
    public ISink Create(SinkContext context)
        => new MqttSink(MqttSinkSettings.From(context.Options, $"edgestream-{context.NodeId}-{context.Options.Name}", "Settings"), context.LoggerFactory);
}
