using Microsoft.Extensions.Logging;

namespace EdgeStream.Forwarding;

/// <summary>Source-generated logs of the forwarding engine; event ids 5000-5099 are stable.</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Forwarding started with {SinkCount} sink(s) as node {NodeId}")]
    public static partial void Started(ILogger logger, int sinkCount, string nodeId);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Sink {Sink} forwards {Topic}/{Partition} from offset {Offset} (start: {Start})")]
    public static partial void PartitionStarted(ILogger logger, string sink, string topic, int partition, long offset, string start);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Sink {Sink}: send failed (attempt {Attempt}), retrying in {Delay}")]
    public static partial void SendFailed(ILogger logger, string sink, int attempt, TimeSpan delay, Exception? error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Sink {Sink}: circuit opened for {Duration}")]
    public static partial void CircuitOpened(ILogger logger, string sink, TimeSpan duration);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Sink {Sink}: circuit closed, upstream reachable again")]
    public static partial void CircuitClosed(ILogger logger, string sink);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Sink {Sink}: record {Topic}/{Partition}/{Offset} refused by upstream, moved to {DeadLetterTopic}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string sink, string topic, int partition, long offset, string deadLetterTopic, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Sink {Sink}: {Topic}/{Partition} offsets {From}..{To} were removed by retention before they were forwarded")]
    public static partial void RecordsSkipped(ILogger logger, string sink, string topic, int partition, long from, long to);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "Sink {Sink}: forwarding loop {Topic}/{Partition} failed")]
    public static partial void LoopFailed(ILogger logger, string sink, string topic, int partition, Exception error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Sink {Sink} {State}")]
    public static partial void PauseChanged(ILogger logger, string sink, string state);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Forwarding stopped")]
    public static partial void Stopped(ILogger logger);
}
