using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Nats;

/// <summary>Source-generated logs of the NATS sink; event ids 5200-5299 are stable.</summary>
internal static partial class NatsLog
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "JetStream stream {Stream} ready for {Subjects} with {Replicas} replica(s)")]
    public static partial void StreamReady(ILogger logger, string stream, string subjects, int replicas);
}
