using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Kafka;

/// <summary>Source-generated logs of the Kafka sink; event ids 5100-5199 are stable.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Kafka client error {Code}: {Reason} (fatal: {Fatal})")]
    public static partial void ClientError(ILogger logger, string code, string reason, bool fatal);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    public static partial void ClientLog(ILogger logger, string facility, string message);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Kafka producer replaced after a fatal error")]
    public static partial void ProducerRecreated(ILogger logger);
}
