using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeStream.Ingest.Mqtt.Client;

/// <summary>Builds MQTTnet client options for one upstream: persistent session, credentials, TLS. Stateless.</summary>
internal static class UpstreamClientOptionsFactory
{
    public static MqttClientOptions Create(MqttUpstreamOptions u)
    {
        var v5 = u.ProtocolVersion == "5.0";
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(u.Host, u.Port)
            .WithClientId(ClientIdOf(u))
            .WithProtocolVersion(v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            // A persistent session: the broker keeps our subscriptions and queues QoS 1 messages while we are away,
            // and redelivers anything we had not acknowledged (i.e. not yet durable) when we come back.
            .WithCleanStart(false)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (v5)
        {
            builder.WithSessionExpiryInterval(u.SessionExpirySeconds).WithReceiveMaximum((ushort)u.ReceiveMaximum);
        }
        if (!string.IsNullOrEmpty(u.Username))
        {
            builder.WithCredentials(u.Username, u.Password ?? "");
        }
        if (u.UseTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(u.Host);
                if (!string.IsNullOrEmpty(u.CaFile))
                {
                    var trust = new X509Certificate2Collection();
                    trust.ImportFromPemFile(u.CaFile);
                    tls.WithTrustChain(trust);
                }
            });
        }
        return builder.Build();
    }

    public static string ClientIdOf(MqttUpstreamOptions u) => string.IsNullOrEmpty(u.ClientId) ? $"edgestream-{u.Name}-{Environment.MachineName}" : u.ClientId;
}
