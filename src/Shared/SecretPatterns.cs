using System.Text.RegularExpressions;

namespace EdgeStream.Redaction;

/// <summary>
/// The patterns that recognise credentials in text and in setting names, shared (as a linked source file) by the
/// forwarding errors (<c>SecretRedaction</c>) and the admin server (<c>SecretRedactor</c>), so a secret masked in
/// one place is masked in the other. Stateless; thread-safe.
/// </summary>
internal static partial class SecretPatterns
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>
    /// <paramref name="text"/> with URI user info (<c>http://user:pass@host</c> → <c>http://***@host</c>),
    /// secret-looking <c>name=value</c> pairs and Bearer/Basic credentials masked.
    /// </summary>
    public static string Redact(string text)
    {
        text = UserInfo().Replace(text, "${scheme}" + Mask + "@");
        text = SecretPair().Replace(text, "${key}=" + Mask);
        return AuthScheme().Replace(text, "${scheme} " + Mask);
    }

    /// <summary>True when a setting or property of this name holds a credential.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    [GeneratedRegex(@"(password|passwd|passphrase|secret|token|apikey|api[-_.]key|authorization|credential|cookie|private[-_.]?key)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?<scheme>\b[a-z][a-z0-9+.\-]*://)[^/?#@\s""']+@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"(?<key>[a-z0-9_.\-]*(password|passwd|secret|token|apikey|api[-_.]key|authorization|credential)[a-z0-9_.\-]*)=(?<value>[^&\s""',;]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretPair();

    [GeneratedRegex(@"\b(?<scheme>Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*", RegexOptions.CultureInvariant)]
    private static partial Regex AuthScheme();
}
