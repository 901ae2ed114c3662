using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace EdgeStream.Validation;

/// <summary>
/// Turns the failures of an <c>[OptionsValidator]</c>-generated validator into EdgeStream's form, naming the
/// configuration key: <c>Mqtt:Listeners:0:Port: must be between 1 and 65535.</c> The generator names a member by its C#
/// path inside the message (<c>Port: The field MqttIngestOptions.Listeners[0].Port must be …</c>), so attribute messages
/// must keep the <c>{0}</c> placeholder. Compiled into each project that validates options (linked from src/Shared).
/// Stateless; thread-safe.
/// </summary>
internal static partial class OptionsKeys
{
    /// <summary>
    /// The failures of <paramref name="result"/>, each as <c>Section:Key: message</c>, where <paramref name="typeName"/>
    /// is the options class the generator validated and <paramref name="section"/> its configuration path (empty when its
    /// properties are top-level sections, as <c>Sensors</c> is).
    /// </summary>
    public static IEnumerable<string> Map(ValidateOptionsResult result, string typeName, string section)
    {
        foreach (var failure in result.Failures ?? [])
        {
            var path = MemberPath().Matches(failure).FirstOrDefault(m => m.Groups["type"].Value == typeName);
            if (path is null)
            {
                yield return section.Length == 0 ? failure : $"{section}:{failure}";
                continue;
            }
            var key = string.Join(':', path.Groups["part"].Captures.Select(c => c.Value.Trim('.', '[', ']')).Prepend(section).Where(k => k.Length > 0));
            var message = failure[(path.Index + path.Length)..].Trim();
            if (message.StartsWith("field ", StringComparison.Ordinal))
            {
                message = message["field ".Length..];
            }
            yield return $"{key}: {message}";
        }
    }

    [GeneratedRegex(@"(?<type>\w+)(?<part>\.\w+|\[\d+\])+")]
    private static partial Regex MemberPath();
}
