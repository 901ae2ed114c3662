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

    [LoggerMessage(EventId = 5007, Level = LogLevel.Critical, Message = "Sink {Sink}: forwarding loop {Topic}/{Partition} stopped: the log as a whole failed")]
    public static partial void LoopFailed(ILogger logger, string sink, string topic, int partition, Exception error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Sink {Sink} {State}")]
    public static partial void PauseChanged(ILogger logger, string sink, string state);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Forwarding stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "Sink {Sink}: upstream refused the sink (misconfiguration: credentials, permissions, URL); nothing is dead-lettered, retrying every {Delay} at most")]
    public static partial void SinkRejected(ILogger logger, string sink, TimeSpan delay, Exception? error);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Error, Message = "Sink {Sink}: its client could not be created; the sink shows as rejected and each send retries, the rest of EdgeStream carries on")]
    public static partial void SinkNotCreated(ILogger logger, string sink, Exception error);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Debug, Message = "Sink {Sink}: send failed again (attempt {Attempt}), retrying in {Delay}")]
    public static partial void SendRetrying(ILogger logger, string sink, int attempt, TimeSpan delay, Exception? error);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Sink {Sink}: upstream acknowledged again after {State}")]
    public static partial void SinkRecovered(ILogger logger, string sink, SinkState state);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Error, Message = "Sink {Sink}: forwarding loop {Topic}/{Partition} faulted (fault {Faults}); other loops carry on, retrying in {Delay}")]
    public static partial void LoopFaulted(ILogger logger, string sink, string topic, int partition, long faults, TimeSpan delay, Exception error);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Debug, Message = "Sink {Sink}: forwarding loop {Topic}/{Partition} faulted again, retrying in {Delay}")]
    public static partial void LoopFaultedAgain(ILogger logger, string sink, string topic, int partition, TimeSpan delay, Exception error);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Information, Message = "Sink {Sink}: forwarding loop {Topic}/{Partition} recovered")]
    public static partial void LoopRecovered(ILogger logger, string sink, string topic, int partition);
}
