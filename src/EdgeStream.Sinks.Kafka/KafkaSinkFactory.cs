using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Kafka;

/// <summary>Creates <c>kafka</c> sinks (Confluent.Kafka idempotent producer). Stateless and thread-safe.</summary>
public sealed class KafkaSinkFactory : ISinkFactory
{
    /// <inheritdoc />
    public string Type => "kafka";

    /// <inheritdoc />
    public void Validate(SinkOptions options, string path) => KafkaSinkSettings.From(options, path);

    /// <inheritdoc />
    public ISink Create(SinkContext context)
        => new KafkaSink(KafkaSinkSettings.From(context.Options, "Settings"), context.NodeId, context.LoggerFactory);
}
