using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

[Trait("Category", "Slow")]
public sealed class MqttTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static void WritePem(string dir, string name, X509Certificate2 cert, ECDsa key)
    {
        File.WriteAllText(Path.Combine(dir, name + ".pem"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, name + ".key"), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in <paramref name="dir"/>.</summary>
    private static void MakePki(string dir)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=EdgeStream Test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        WritePem(dir, "ca", ca, caKey);

        foreach (var (name, server) in new[] { ("server", true), ("client", false) })
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={(server ? "127.0.0.1" : "edge-node-1")}", key, HashAlgorithmName.SHA256);
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                req.CertificateExtensions.Add(san.Build());
            }
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            var serial = new byte[8];
            RandomNumberGenerator.Fill(serial);
            using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
            WritePem(dir, name, cert, key);
        }
    }

    [Fact]
    public async Task A_broker_requiring_client_certificates_accepts_the_sink_with_its_certificate_and_refuses_it_without()
    {
        using var dir = new TempDir("mqtls");
        MakePki(dir.Path);
        var port = Ports.Free();
        var conf = Path.Combine(dir.Path, "m.conf");
        await File.WriteAllTextAsync(conf, string.Create(CultureInfo.InvariantCulture, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            cafile {dir.Path}/ca.pem
            certfile {dir.Path}/server.pem
            keyfile {dir.Path}/server.key
            require_certificate true
            {(Environment.UserName == "root" ? "user root" : "")}
            """), TestContext.Current.CancellationToken);
        await using var broker = ExternalProcess.Start(ExternalProcess.Find("mosquitto"), "-c", conf);
        await Ports.WaitOpenAsync(port, TimeSpan.FromSeconds(10));
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("secure", 1, 100);

        (string, string)[] common = [("Host", "127.0.0.1"), ("Port", port.ToString(CultureInfo.InvariantCulture)), ("Tls", "true"), ("CaFile", Path.Combine(dir.Path, "ca.pem")), ("TimeoutMs", "3000")];
        var withCert = EngineRun.Sink("with-cert", "mqtt", [.. common, ("CertFile", Path.Combine(dir.Path, "client.pem")), ("KeyFile", Path.Combine(dir.Path, "client.key"))]);
        var without = EngineRun.Sink("without-cert", "mqtt", common);
        await using var run = EngineRun.Start(log.Store, withCert, without);
        await run.DrainedAsync("with-cert", 1, Timeout);
        await Poll.UntilAsync(() => run.Status("without-cert").LastError is not null, Timeout, "the sink without a certificate is refused");

        Assert.Equal(100, run.Status("with-cert").SentRecords);
        Assert.Equal(0, run.Status("without-cert").SentRecords);
    }
}
