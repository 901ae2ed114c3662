namespace EdgeStream.Processing.Json;

/// <summary>RFC 6901 JSON pointers (<c>/quantities/temperature/value</c>): parsing into reference tokens.
/// Thread-safe (stateless).</summary>
internal static class JsonPointer
{
    /// <summary>Splits a pointer into its unescaped reference tokens; false (with a reason) when it is not a pointer to a member.</summary>
    public static bool TryParse(string? pointer, out string[] tokens, out string reason)
    {
        tokens = [];
        if (string.IsNullOrEmpty(pointer) || pointer[0] != '/')
        {
            reason = $"'{pointer}' is not a JSON pointer (it must start with '/').";
            return false;
        }
        var parts = pointer[1..].Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i];
            for (int c = 0; c < p.Length; c++)
            {
                if (p[c] == '~' && (c + 1 >= p.Length || (p[c + 1] != '0' && p[c + 1] != '1')))
                {
                    reason = $"'{pointer}' has a '~' not followed by 0 or 1.";
                    return false;
                }
            }
            parts[i] = p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
        }
        tokens = parts;
        reason = "";
        return true;
    }

    /// <summary>The last reference token (the name a pointer's value gets in outputs).</summary>
    public static string LastToken(string pointer) => TryParse(pointer, out var t, out _) ? t[^1] : pointer;
}
