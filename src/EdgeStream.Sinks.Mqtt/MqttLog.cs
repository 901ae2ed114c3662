using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Mqtt;

/// <summary>Source-generated logs of the MQTT sink; event ids 5400-5499 are stable.</summary>
internal static partial class MqttLog
{
    [LoggerMessage(EventId = 5400, Level = LogLevel.Information, Message = "Connected to MQTT broker {Host}:{Port} as {ClientId} (session present: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string host, int port, string clientId, bool sessionPresent);
}
