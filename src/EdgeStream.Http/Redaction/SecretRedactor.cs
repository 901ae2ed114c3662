using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStream.Redaction;

namespace EdgeStream.Http.Redaction;

/// <summary>
/// Removes credentials from what the admin server shows (the contributor sections of <c>/api/status</c>, hence the
/// status page): the values of secret-looking properties (<c>password</c>, <c>token</c>, <c>secret</c>,
/// <c>authorization</c>, <c>apiKey</c>, <c>sasl.password</c>, …), the user info of URIs
/// (<c>http://user:pass@host</c>), secret-looking <c>name=value</c> pairs (<c>?sasl.password=…</c>), Bearer/Basic
/// credentials, and every configured secret value the host registered (<c>AddEdgeStreamSecrets</c>) wherever it
/// appears in a string — so an upstream error message that quotes a password is masked too. Secrets shorter than
/// <see cref="MinSecretLength"/> characters are only masked through the patterns (masking "on" everywhere would
/// garble the page). Immutable; thread-safe.
/// </summary>
internal sealed partial class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = SecretPatterns.Mask;

    /// <summary>Shortest literal secret value masked wherever it appears.</summary>
    public const int MinSecretLength = 4;

    private readonly string[] _secrets;

    public SecretRedactor(IEnumerable<string?> secrets)
        // Longest first, so a secret that contains another is masked whole.
        => _secrets = [.. secrets.OfType<string>().Where(s => s.Length >= MinSecretLength).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];

    /// <summary>True when a property or setting of this name holds a credential.</summary>
    public static bool IsSecretName(string name) => SecretPatterns.IsSecretName(name);

    /// <summary><paramref name="text"/> with every credential it contains masked.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return SecretPatterns.Redact(text);
    }

    /// <summary>A copy of <paramref name="element"/> with secret-named properties and every string redacted.</summary>
    public JsonElement Redact(JsonElement element)
    {
        var node = JsonNode.Parse(element.GetRawText());
        return node is null ? element : JsonSerializer.SerializeToElement(Walk(node, secretName: false), JsonContext.Default.JsonNode);
    }

    /// <summary>Redacts containers in place; returns the replacement for a value (or the node itself).</summary>
    private JsonNode Walk(JsonNode node, bool secretName)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    if (child is not null && Walk(child, IsSecretName(name)) is var replaced && !ReferenceEquals(replaced, child))
                    {
                        o[name] = replaced;
                    }
                }
                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } child && Walk(child, secretName) is var replaced && !ReferenceEquals(replaced, child))
                    {
                        a[i] = replaced;
                    }
                }
                return a;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(secretName ? Mask : Redact(v.GetValue<string>()));
            default:
                return secretName ? JsonValue.Create(Mask) : node;
        }
    }

    [System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
    private sealed partial class JsonContext : System.Text.Json.Serialization.JsonSerializerContext;
}
