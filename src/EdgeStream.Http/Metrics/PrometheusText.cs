using System.Globalization;
using System.Text;

namespace EdgeStream.Http.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4: name and label sanitizing, escaping and number formatting.
/// Stateless; thread-safe.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary><c>edgestream.log.appended.records</c> → <c>edgestream_log_appended_records</c>: anything outside <c>[a-zA-Z0-9_:]</c> becomes <c>_</c>.</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>
    /// The Prometheus base-unit suffix of a UCUM unit and the factor to it: <c>s</c> → <c>_seconds</c>; <c>ms</c> →
    /// <c>_seconds</c> × 0.001; <c>By</c> → <c>_bytes</c>; anything else (annotations such as <c>{record}</c>) none.
    /// </summary>
    public static (string? Suffix, double Scale) BaseUnit(string? unit) => unit switch
    {
        "s" => ("_seconds", 1),
        "ms" => ("_seconds", 0.001),
        "By" => ("_bytes", 1),
        _ => (null, 1),
    };

    /// <summary>
    /// A gauge may not end in <c>_count</c> (Prometheus reserves it for histograms and summaries), which .NET's own
    /// instruments do (<c>dotnet.timer.count</c>, unit <c>{timer}</c>): the unit's plural replaces it
    /// (<c>dotnet_timers</c>, <c>dotnet_assemblies</c>). Other names are returned unchanged.
    /// </summary>
    public static string GaugeName(string name, string? unit)
    {
        if (!name.EndsWith("_count", StringComparison.Ordinal) || unit is not { Length: > 2 } || unit[0] != '{' || unit[^1] != '}')
        {
            return name;
        }
        var thing = LabelName(unit[1..^1]);
        var plural = thing.EndsWith('y') ? thing[..^1] + "ies" : thing + "s";
        var stem = name[..^"_count".Length];
        return stem.EndsWith("_" + thing, StringComparison.Ordinal) ? stem[..^thing.Length] + plural
            : stem == thing ? plural
            : stem + "_" + plural;
    }

    /// <summary>A label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string LabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>A label value with <c>\</c>, <c>"</c> and newlines escaped.</summary>
    public static string LabelValue(string value)
        => value.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>HELP text with <c>\</c> and newlines escaped.</summary>
    public static string Help(string help)
        => help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>A sample value: shortest round-trip form, or <c>+Inf</c>/<c>-Inf</c>/<c>NaN</c>.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The label set of a measurement as it appears between braces (<c>topic="a",partition="0"</c>), sorted by name so
    /// the same tags always land in the same series.
    /// </summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }
        var pairs = new (string Name, string Value)[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            pairs[i] = (LabelName(tags[i].Key), LabelValue(Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? string.Empty));
        }
        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var sb = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            sb.Append(sb.Length == 0 ? "" : ",").Append(name).Append("=\"").Append(value).Append('"');
        }
        return sb.ToString();
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                chars[i] = '_';
            }
        }
        return chars.Length == 0 ? "_" : new string(chars);
    }
}
