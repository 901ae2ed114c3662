using System.Text.RegularExpressions;

namespace EdgeStream.Host.Run;

/// <summary>
/// Turns the configuration binder's failure to convert a value ("Failed to convert configuration value 'abc' at
/// 'Mqtt:Port' to type 'System.Int32'.") into the key-first form of every other configuration error. Stateless.
/// </summary>
internal static partial class BinderFailure
{
    /// <summary>The message for a value the binder could not convert, or null when <paramref name="e"/> is not one.</summary>
    public static string? Describe(Exception e)
    {
        if (e is not InvalidOperationException { InnerException: FormatException or OverflowException or ArgumentException })
        {
            return null;
        }
        var match = Pattern().Match(e.Message);
        if (!match.Success)
        {
            return e.Message;
        }
        var type = match.Groups["type"].Value;
        var expected = type switch
        {
            "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt64" or "System.Int16" or "System.UInt16" or "System.Byte" => "a whole number in range",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration such as 00:00:30 or 1.00:00:00",
            _ => "a " + type[(type.LastIndexOf('.') + 1)..] + " value",
        };
        return $"{match.Groups["key"].Value}: '{match.Groups["value"].Value}' is not {expected}.";
    }

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'\.", RegexOptions.Singleline)]
    private static partial Regex Pattern();
}
