using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Sensors.Diagnostics;

/// <summary>Source-generated log messages of the sensor ingest; event ids 6000–6099 are stable.</summary>
internal static partial class SensorLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Sensor {Sensor} ({Type}, {Driver}) started: every {Interval} to topic {Topic}")]
    public static partial void SensorStarted(ILogger logger, string sensor, string type, string driver, TimeSpan interval, string topic);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Sensor {Sensor} read failed ({Reason}, failure {Failures} in a row), retrying in {RetryIn}: {Detail}")]
    public static partial void ReadFailed(ILogger logger, string sensor, string reason, int failures, TimeSpan retryIn, string detail);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Sensor {Sensor} recovered after {Failures} failed reads")]
    public static partial void Recovered(ILogger logger, string sensor, int failures);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Reading of sensor {Sensor} could not be appended to topic {Topic}")]
    public static partial void AppendFailed(ILogger logger, Exception exception, string sensor, string topic);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Reading of sensor {Sensor} dropped: the ingest queue is full")]
    public static partial void QueueFull(ILogger logger, string sensor);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Sensor source {Sensor} stopped unexpectedly; restarting in {RetryIn}")]
    public static partial void SourceFailed(ILogger logger, Exception exception, string sensor, TimeSpan retryIn);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Sensor source {Sensor} stopped again; restarting in {RetryIn}")]
    public static partial void SourceFailedAgain(ILogger logger, Exception exception, string sensor, TimeSpan retryIn);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Sensor ingest running {Count} sources")]
    public static partial void IngestStarted(ILogger logger, int count);
}
