using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeStream.Ingest.Mqtt.Auth;

/// <summary>
/// Salted password hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c> (salt and hash base64, 16 and 32
/// bytes), so configuration files never hold passwords. Stateless; thread-safe.
/// </summary>
public static class PasswordHasher
{
    /// <summary>Default PBKDF2 iterations: a balance between brute-force cost and connect latency on a Raspberry Pi.</summary>
    public const int DefaultIterations = 100_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1000);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="encoded"/> is well-formed; otherwise <paramref name="reason"/> says why.</summary>
    public static bool IsWellFormed(string? encoded, out string reason) => TryDecode(encoded, out _, out _, out _, out reason);

    /// <summary>The iteration count of a well-formed hash; 0 for null or malformed.</summary>
    public static int Iterations(string? encoded) => TryDecode(encoded, out var iterations, out _, out _, out _) ? iterations : 0;

    /// <summary>Checks <paramref name="password"/> against <paramref name="encoded"/> in constant time.</summary>
    public static bool Verify(string password, string encoded)
    {
        if (!TryDecode(encoded, out var iterations, out var salt, out var expected, out _))
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryDecode(string? encoded, out int iterations, out byte[] salt, out byte[] hash, out string reason)
    {
        iterations = 0;
        salt = hash = [];
        var parts = encoded?.Split('$') ?? [];
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            reason = $"expected {Scheme}$iterations$salt$hash";
            return false;
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1000)
        {
            reason = "iterations must be a number of at least 1000";
            return false;
        }
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            reason = "salt and hash must be base64";
            return false;
        }
        if (salt.Length < 8 || hash.Length < 16)
        {
            reason = "salt or hash too short";
            return false;
        }
        reason = "";
        return true;
    }
}
