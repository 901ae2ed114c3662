using System.Security.Cryptography;
using System.Text.Json;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// What a record's value says it is, so the same message can be recognised on the device side, in the log and
/// upstream: <c>sim-0003#17</c> for telemetry (device, sequence number) and <c>ballast#5</c> for disk-filling ballast.
/// Stateless; thread-safe.
/// </summary>
internal static class RecordTag
{
    /// <summary>The tag of a telemetry reading.</summary>
    public static string Telemetry(string device, long sequence) => $"{device}#{sequence}";

    /// <summary>The tag of ballast record <paramref name="number"/>.</summary>
    public static string Ballast(long number) => $"ballast#{number}";

    /// <summary>The tag a JSON value carries, or null for any other value.</summary>
    public static string? From(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value[0] != (byte)'{')
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(value);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.TryGetProperty("ballast", out var b))
            {
                return Ballast(b.GetInt64());
            }
            if (root.TryGetProperty("device", out var d) && root.TryGetProperty("seq", out var s))
            {
                return Telemetry(d.GetString() ?? "", s.GetInt64());
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A short content fingerprint (SHA-256 prefix), to tell whether two copies of one id carry the same bytes.</summary>
    public static string Hash(ReadOnlySpan<byte> value) => Convert.ToHexString(SHA256.HashData(value).AsSpan(0, 12));
}
