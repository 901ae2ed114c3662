using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace EdgeStream.Processing.Options;

/// <summary>
/// Validates the whole <c>Processing</c> section at start: the source-generated data-annotation checks plus the
/// cross-field rules (expressions parse, window fields fit the window type, topics are valid log topic names, ids
/// unique). Reports every error at once, each naming its configuration key (<c>Processing:Rules:0:Window:Size: …</c>).
/// Register it with <c>services.AddSingleton&lt;IValidateOptions&lt;ProcessingOptions&gt;, ProcessingOptionsValidation&gt;()</c>
/// (it includes the generated checks; do not register those separately). Thread-safe (stateless).
/// </summary>
internal sealed partial class ProcessingOptionsValidation : IValidateOptions<ProcessingOptions>
{
    private static readonly ProcessingOptionsDataValidator DataValidator = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ProcessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var data = DataValidator.Validate(name, options);
        if (data.Failed)
        {
            foreach (var failure in data.Failures ?? [])
            {
                errors.Add(ToConfigurationKey(failure));
            }
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            string path = $"{ProcessingOptions.SectionName}:Rules:{i}";
            if (rule is null)
            {
                errors.Add($"{path}: is empty.");
                continue;
            }
            if (!string.IsNullOrEmpty(rule.Id) && !ids.Add(rule.Id))
            {
                errors.Add($"{path}:Id: '{rule.Id}' is used by another rule.");
            }
            RuleValidator.Check(rule, path, errors);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Validates one rule alone; the errors name keys under <paramref name="path"/>.</summary>
    public static List<string> ValidateRule(RuleOptions rule, string path)
    {
        var errors = new List<string>();
        RuleValidator.Check(rule, path, errors);
        return errors;
    }

    // The generated validator says "DataAnnotation validation failed for 'ProcessingOptions.Rules[0].Window' members: 'Size' with the error: '…'."
    private static string ToConfigurationKey(string failure)
    {
        var m = GeneratedMessage().Match(failure);
        if (!m.Success)
        {
            return $"{ProcessingOptions.SectionName}: {failure}";
        }
        string model = m.Groups["model"].Value;
        int dot = model.IndexOf('.', StringComparison.Ordinal);
        model = dot < 0 ? "" : model[(dot + 1)..];
        string key = string.Join(':', new[] { ProcessingOptions.SectionName, model, m.Groups["member"].Value }.Where(s => s.Length > 0));
        key = key.Replace('.', ':').Replace("[", ":", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
        return $"{key}: {m.Groups["error"].Value}";
    }

    [GeneratedRegex("^DataAnnotation validation failed for '(?<model>[^']*)' members: '(?<member>[^']*)' with the error: '(?<error>.*)'\\.?$", RegexOptions.Singleline)]
    private static partial Regex GeneratedMessage();
}
