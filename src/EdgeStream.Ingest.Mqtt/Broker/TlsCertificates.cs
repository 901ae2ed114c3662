using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EdgeStream.Ingest.Mqtt.Broker;

/// <summary>Loads the TLS listener's certificate (PEM or PFX) and validates client certificates. Stateless helpers.</summary>
internal static class TlsCertificates
{
    /// <summary>Loads <see cref="MqttTlsOptions.CertificateFile"/>: a PFX/PKCS#12 file, or PEM with the key in <see cref="MqttTlsOptions.KeyFile"/> (or the same file).</summary>
    public static X509Certificate2 LoadServerCertificate(MqttTlsOptions tls)
    {
        var file = tls.CertificateFile ?? throw new InvalidOperationException("Mqtt:Tls:CertificateFile is not set.");
        if (IsPfx(file))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(file, tls.Password);
        }
        var keyFile = tls.KeyFile ?? file;
        using var pem = string.IsNullOrEmpty(tls.Password)
            ? X509Certificate2.CreateFromPemFile(file, keyFile)
            : X509Certificate2.CreateFromEncryptedPemFile(file, tls.Password, keyFile);
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform (PEM keys are ephemeral).
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static bool IsPfx(string file)
        => file.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The client certificate check: a presented certificate must chain to the configured CAs (the system store is not
    /// trusted for client identity); no certificate is fine when client certificates are optional.
    /// </summary>
    public static RemoteCertificateValidationCallback ClientValidator(MqttTlsOptions tls)
    {
        var required = string.Equals(tls.ClientCertificates, "required", StringComparison.OrdinalIgnoreCase);
        var authorities = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(tls.ClientCaFile))
        {
            authorities.ImportFromPemFile(tls.ClientCaFile);
        }
        return (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return !required;
            }
            if (authorities.Count == 0)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(presented);
        };
    }
}
