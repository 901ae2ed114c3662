using System.Globalization;

namespace EdgeStream.Forwarding;

/// <summary>Parsed <see cref="SinkOptions.Start"/>.</summary>
internal readonly record struct StartPosition(StartKind Kind, DateTimeOffset Timestamp)
{
    public static bool TryParse(string? text, out StartPosition position)
    {
        var t = (text ?? "").Trim();
        if (t.Length == 0 || t.Equals("earliest", StringComparison.OrdinalIgnoreCase))
        {
            position = new(StartKind.Earliest, default);
            return true;
        }
        if (t.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            position = new(StartKind.Latest, default);
            return true;
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
        {
            position = new(StartKind.Timestamp, ts);
            return true;
        }
        position = default;
        return false;
    }
}

internal enum StartKind
{
    Earliest,
    Latest,
    Timestamp,
}
