using System.Globalization;
using Microsoft.Extensions.Logging;
using MQTTnet.Diagnostics.Logger;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>
/// Forwards MQTTnet's internal log (connection errors, protocol violations) to <see cref="ILogger"/>: warnings and
/// errors as such, information as debug, verbose dropped. Thread-safe.
/// </summary>
internal sealed class MqttNetLoggerBridge(ILogger logger) : IMqttNetLogger
{
    public bool IsEnabled => logger.IsEnabled(LogLevel.Debug) || logger.IsEnabled(LogLevel.Warning);

    public void Publish(MqttNetLogLevel logLevel, string source, string message, object[] parameters, Exception exception)
    {
        var level = logLevel switch
        {
            MqttNetLogLevel.Error => LogLevel.Error,
            MqttNetLogLevel.Warning => LogLevel.Warning,
            MqttNetLogLevel.Info => LogLevel.Debug,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None || !logger.IsEnabled(level))
        {
            return;
        }
        var text = parameters is { Length: > 0 } ? string.Format(CultureInfo.InvariantCulture, message, parameters) : message;
        MqttIngestLog.MqttNet(logger, level, exception, source, text);
    }
}
