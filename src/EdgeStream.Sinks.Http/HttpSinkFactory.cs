using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Http;

/// <summary>Creates <c>http</c> sinks (batched JSON-lines POST). Stateless and thread-safe.</summary>
public sealed class HttpSinkFactory : ISinkFactory
{
    /// <inheritdoc />
    public string Type => "http";

    /// <inheritdoc />
    public void Validate(SinkOptions options, string path) => HttpSinkSettings.From(options, path);

    /// <inheritdoc />
    public ISink Create(SinkContext context)
        => new HttpSink(HttpSinkSettings.From(context.Options, "Settings"), context.TimeProvider, context.LoggerFactory);
}
