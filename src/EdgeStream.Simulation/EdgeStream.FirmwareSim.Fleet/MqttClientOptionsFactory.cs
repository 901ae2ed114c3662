using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>Client options shared by the fleet and the load generator.</summary>
internal static class MqttClientOptionsFactory
{
    public static MqttClientOptions Create(string host, int port, string clientId, MqttProtocol protocol, TimeSpan timeout) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithProtocolVersion(protocol == MqttProtocol.V500 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            // Devices keep their state locally (the offline buffer); a broker session adds nothing for publishers.
            .WithCleanSession(true)
            .WithTimeout(timeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .Build();
}
