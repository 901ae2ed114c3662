using Microsoft.Extensions.Logging;

namespace EdgeStream.Http;

/// <summary>Source-generated log events of the admin HTTP server; event ids 7000-7099 are stable. Thread-safe.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Admin HTTP listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Admin HTTP disabled (Http:Port is 0)")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Admin HTTP stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "HTTP ingest to topic {Topic} refused, log full: {Reason}")]
    public static partial void IngestRefusedLogFull(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "HTTP ingest to topic {Topic} failed")]
    public static partial void IngestFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Rejected {Method} {Path} from {Remote}: {Reason}")]
    public static partial void AuthRejected(ILogger logger, string method, string path, string remote, string reason);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Status contributor {Name} failed")]
    public static partial void StatusContributorFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Debug, Message = "HTTP ingest stored {Count} records in topic {Topic}")]
    public static partial void Ingested(ILogger logger, string topic, int count);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Cursor {Name} on {Topic}/{Partition} committed at {NextOffset} over HTTP")]
    public static partial void CursorCommitted(ILogger logger, string name, string topic, int partition, long nextOffset);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "Status contributor {Name} ignored: the name is reserved or used twice")]
    public static partial void StatusContributorNameTaken(ILogger logger, string name);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Error, Message = "Pull read of {Topic}/{Partition} at offset {Offset} failed")]
    public static partial void PullFailed(ILogger logger, string topic, int partition, long offset, Exception exception);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Admin HTTP on {Address} is not on loopback and requires no token (Http:AllowAnonymousOnNetwork is set)")]
    public static partial void AnonymousOnNetwork(ILogger logger, string address);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Warning, Message = "HTTP ingest to topic {Topic} stored {Stored} of {Count} records; partition {Partition} failed: {Reason}")]
    public static partial void IngestPartiallyStored(ILogger logger, string topic, int stored, int count, int partition, string reason);

    [LoggerMessage(EventId = 7030, Level = LogLevel.Information, Message = "Cursor {Name} on {Topic}/{Partition} deleted over HTTP (it was at {NextOffset})")]
    public static partial void CursorDeleted(ILogger logger, string name, string topic, int partition, long nextOffset);
}
