namespace EdgeStream.Forwarding;

/// <summary>
/// Creates sinks of one <see cref="Type"/> (<c>kafka</c>, <c>nats</c>, …). Sink projects implement it and register it
/// with an <c>Add…Sink()</c> extension that calls <c>AddSinkFactory</c>. Must be thread-safe and stateless.
/// </summary>
public interface ISinkFactory
{
    /// <summary>The <see cref="SinkOptions.Type"/> this factory handles, lower case.</summary>
    string Type { get; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> whose message starts with the full key (<paramref name="path"/> plus the
    /// setting) of the first invalid type-specific setting.
    /// </summary>
    void Validate(SinkOptions options, string path);

    /// <summary>
    /// Creates a sink. Must not block on the network: connect lazily in <see cref="ISink.SendAsync"/>. May throw when
    /// the client cannot be built (a missing certificate file): the engine reports the sink rejected and calls again.
    /// </summary>
    ISink Create(SinkContext context);
}
