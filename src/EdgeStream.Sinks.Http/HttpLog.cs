using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Http;

/// <summary>Source-generated logs of the HTTP sink; event ids 5300-5399 are stable.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 5300, Level = LogLevel.Warning, Message = "HTTP upstream refused {BatchId}: {Reason}")]
    public static partial void Rejected(ILogger logger, string batchId, string reason);
}
