using EdgeStream.Redaction;

namespace EdgeStream.Forwarding;

/// <summary>
/// Masks credentials in text about sinks before it is printed, logged or shown: the user info of URIs
/// (<c>http://user:pass@host</c> → <c>http://***@host</c>), secret-looking <c>name=value</c> pairs
/// (<c>?sasl.password=…</c>, <c>token=…</c>) and Bearer/Basic credentials. Used for sink errors in the status and
/// for configuration errors that quote a sink URI. Stateless; thread-safe.
/// </summary>
public static class SecretRedaction
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = SecretPatterns.Mask;

    /// <summary><paramref name="text"/> with URI user info, secret pairs and Bearer/Basic credentials masked.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SecretPatterns.Redact(text);
    }

    /// <summary>
    /// True when a setting or property of this name holds a credential: it names a password, passphrase, secret,
    /// token, API key, authorization, credential, cookie or private key (<c>Password</c>, <c>BearerToken</c>,
    /// <c>sasl.password</c>, <c>Header.Authorization</c>, <c>Header.X-Api-Key</c>, …).
    /// </summary>
    public static bool IsSecretName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SecretPatterns.IsSecretName(name);
    }

    /// <summary><paramref name="uri"/> without its user info (credentials belong in settings, not in the address).</summary>
    public static Uri WithoutUserInfo(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.IsNullOrEmpty(uri.UserInfo) ? uri : new UriBuilder(uri) { UserName = "", Password = "" }.Uri;
    }
}
