using Microsoft.Extensions.Logging;

namespace EdgeStream.Forwarding;

/// <summary>What a <see cref="ISinkFactory"/> gets to build a sink. Immutable.</summary>
/// <param name="NodeId">This edge node's id, the first part of every record id.</param>
/// <param name="Options">The sink's validated options.</param>
/// <param name="LoggerFactory">For the sink's logs.</param>
/// <param name="TimeProvider">The clock.</param>
public sealed record SinkContext(string NodeId, SinkOptions Options, ILoggerFactory LoggerFactory, TimeProvider TimeProvider);
