using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>The TLS listener with a generated PEM certificate, and client-certificate authentication.</summary>
[Trait("Category", "Slow")]
public sealed class TlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MqttClientOptionsBuilder TlsClient(TestBroker broker, TestCertificates certs, string clientId, X509Certificate2? clientCert = null)
        => new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Options.Tls.Port).WithClientId(clientId).WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(t =>
            {
                t.UseTls().WithTargetHost("127.0.0.1").WithTrustChain([certs.Ca]);
                if (clientCert is not null)
                {
                    t.WithClientCertificates([clientCert]);
                }
            });

    private static MqttApplicationMessage Qos1(string topic)
        => new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task A_tls_client_trusting_the_ca_publishes_durably()
    {
        using var certs = new TestCertificates();
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Tls = new() { Port = Ports.Free(), CertificateFile = certs.ServerCertFile, KeyFile = certs.ServerKeyFile };
        });
        using var client = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await client.ConnectAsync(TlsClient(broker, certs, "tls-1").Build(), Ct)).ResultCode);
        Assert.True((await client.PublishAsync(Qos1("secure/t"), Ct)).IsSuccess);
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task Mosquitto_pub_over_tls_works_with_the_ca_file()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/mosquitto_pub"), "mosquitto-clients is not installed (test.sh installs it)");
        using var certs = new TestCertificates();
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Tls = new() { Port = Ports.Free(), CertificateFile = certs.ServerCertFile, KeyFile = certs.ServerKeyFile };
        });
        var pub = await ExternalProcess.RunAsync("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", broker.Options.Tls.Port.ToString(CultureInfo.InvariantCulture), "--cafile", certs.CaFile, "-i", "mosq-tls", "-t", "t", "-q", "1", "-m", "over tls"],
            TimeSpan.FromSeconds(20));
        Assert.True(pub.ExitCode == 0, pub.Stderr);
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }

    [Fact]
    public async Task A_client_certificate_authenticates_as_its_user_and_no_certificate_is_refused()
    {
        using var certs = new TestCertificates();
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.AllowAnonymous = false;
            o.Tls = new() { Port = Ports.Free(), CertificateFile = certs.ServerCertFile, KeyFile = certs.ServerKeyFile, ClientCertificates = "optional", ClientCaFile = certs.CaFile };
            o.Users = [new() { Username = "dev7", CertificateSubject = "device-7", Acl = new() { Publish = ["devices/{username}/#"] } }];
        });
        using var withCert = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await withCert.ConnectAsync(TlsClient(broker, certs, "c-7", certs.Client).Build(), Ct)).ResultCode);
        Assert.True((await withCert.PublishAsync(Qos1("devices/dev7/t"), Ct)).IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await withCert.PublishAsync(Qos1("devices/other/t"), Ct)).ReasonCode);

        using var without = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await LimitsAndAuthTests.ConnectResultAsync(without, TlsClient(broker, certs, "anon").Build()));
        Assert.Single(await broker.ReadAllAsync("mqtt"));
    }
}
