using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Nats;

/// <summary>Creates <c>nats</c> sinks (NATS.Net JetStream publish). Stateless and thread-safe.</summary>
public sealed class NatsSinkFactory : ISinkFactory
{
    /// <inheritdoc />
    public string Type => "nats";

    /// <inheritdoc />
    public void Validate(SinkOptions options, string path) => NatsSinkSettings.From(options, path);

    /// <inheritdoc />
    public ISink Create(SinkContext context)
        => new NatsSink(NatsSinkSettings.From(context.Options, "Settings"), context.NodeId, context.Options.Name, context.LoggerFactory);
}
