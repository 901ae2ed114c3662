using System.Globalization;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Configuration;

namespace EdgeStream.Host.Run;

/// <summary>
/// Every credential in the configuration — the value of any key whose last segment names one
/// (<see cref="SecretRedaction.IsSecretName"/>: sink passwords and tokens, <c>Forwarding:Sinks:N:Client:sasl.password</c>,
/// HTTP sink <c>Header.Authorization</c>, MQTT user passwords, <c>Http:Token</c>) — so the status never shows one, even
/// quoted inside an upstream's error message. Numbers and booleans are skipped (a limit named <c>MaxTokens</c> is not a
/// secret). Stateless.
/// </summary>
internal static class ConfigurationSecrets
{
    public static IEnumerable<string> From(IConfiguration configuration)
        => configuration.AsEnumerable()
            .Where(kv => !string.IsNullOrEmpty(kv.Value) && SecretRedaction.IsSecretName(LastSegment(kv.Key)))
            .Select(kv => kv.Value!)
            .Where(v => !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !bool.TryParse(v, out _))
            .ToList();

    private static string LastSegment(string key) => key[(key.LastIndexOf(':') + 1)..];
}
