using System.Buffers.Text;
using System.Text;

namespace EdgeStream.Sinks.Nats;

/// <summary>
/// Record headers as NATS headers. NATS accepts header names of printable ASCII without ':' (and no space) and values
/// without CR/LF. A header that fits is sent as is (value as UTF-8 text); one that does not is sent reversibly as
/// <c>EdgeStream-H-&lt;base64url(UTF-8 name)&gt;</c> with the value in base64, so a consumer can restore name and
/// bytes exactly. Stateless, thread-safe.
/// </summary>
internal static class NatsHeaderCodec
{
    public const string EncodedPrefix = "EdgeStream-H-";

    public static (string Name, string Value) Encode(string name, ReadOnlySpan<byte> value)
    {
        if (IsValidName(name) && !name.StartsWith(EncodedPrefix, StringComparison.OrdinalIgnoreCase) && IsPlainValue(value))
        {
            return (name, Encoding.UTF8.GetString(value));
        }
        return (EncodedPrefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(name)), Convert.ToBase64String(value));
    }

    /// <summary>The original (name, value) of a header as sent by <see cref="Encode"/>.</summary>
    public static (string Name, byte[] Value) Decode(string name, string value)
        => name.StartsWith(EncodedPrefix, StringComparison.Ordinal)
            ? (Encoding.UTF8.GetString(Base64Url.DecodeFromChars(name.AsSpan(EncodedPrefix.Length))), Convert.FromBase64String(value))
            : (name, Encoding.UTF8.GetBytes(value));

    public static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 127 || c == ':')
            {
                return false;
            }
        }
        return true;
    }

    // Plain when it is valid UTF-8 text without control characters (CR/LF would end the header line).
    private static bool IsPlainValue(ReadOnlySpan<byte> value)
    {
        if (!System.Text.Unicode.Utf8.IsValid(value))
        {
            return false;
        }
        foreach (var b in value)
        {
            if (b < 0x20 || b == 0x7f)
            {
                return false;
            }
        }
        return true;
    }
}
