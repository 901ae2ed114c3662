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
        CheckCycles(options.Rules, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Rules may chain (one reads the topic another writes), but never in a cycle: a rule reading its own output, or
    /// rules feeding each other, would derive records from derived records without end.
    /// </summary>
    private static void CheckCycles(List<RuleOptions> rules, List<string> errors)
    {
        var enabled = Enumerable.Range(0, rules.Count).Where(i => rules[i] is { Enabled: true }).ToList();
        var reported = new HashSet<int>();
        foreach (var start in enabled)
        {
            // Depth-first from each rule along "writes a topic the next one reads", looking for the way back to it.
            var path = new List<int> { start };
            var onPath = new HashSet<int> { start };
            if (FindCycle(start, start, path, onPath) && reported.Add(start))
            {
                var names = path.Select(i => $"'{rules[i].Id}'").Append($"'{rules[start].Id}'");
                var topic = rules[path[^1]].OutputTopics().First(t => (rules[start].From?.AllTopics() ?? []).Contains(t, StringComparer.Ordinal));
                errors.Add(path.Count == 1
                    ? $"{ProcessingOptions.SectionName}:Rules:{start}: the rule writes '{topic}', which it also reads (a rule cannot read its own output)."
                    : $"{ProcessingOptions.SectionName}:Rules:{start}: rules {string.Join(" -> ", names)} feed each other through their topics (rules may chain, but not in a cycle).");
                foreach (var i in path)
                {
                    reported.Add(i);
                }
            }
        }

        bool FindCycle(int start, int at, List<int> path, HashSet<int> onPath)
        {
            var writes = rules[at].OutputTopics();
            foreach (var next in enabled)
            {
                if (!(rules[next].From?.AllTopics() ?? []).Any(t => writes.Contains(t, StringComparer.Ordinal)))
                {
                    continue;
                }
                if (next == start)
                {
                    return true;
                }
                if (onPath.Add(next))
                {
                    path.Add(next);
                    if (FindCycle(start, next, path, onPath))
                    {
                        return true;
                    }
                    path.RemoveAt(path.Count - 1);
                }
            }
            return false;
        }
    }

    /// <summary>Validates one rule alone; the errors name keys under <paramref name="path"/>.</summary>
    public static List<string> ValidateRule(RuleOptions rule, string path)
    {
        var errors = new List<string>();
        var data = DataValidator.Validate(null, new ProcessingOptions { Rules = [rule] });
        string generatedPrefix = $"{ProcessingOptions.SectionName}:Rules:0";
        foreach (var failure in data.Failed ? data.Failures ?? [] : [])
        {
            string error = ToConfigurationKey(failure);
            errors.Add(error.StartsWith(generatedPrefix, StringComparison.Ordinal) ? path + error[generatedPrefix.Length..] : error);
        }
        RuleValidator.Check(rule, path, errors);
        return errors;
    }

    // The generated validator's messages name the member by its object path ("MaxKeys: The field
    // ProcessingOptions.Rules[0].MaxKeys must be between 1 and 10000000."): that path becomes the configuration key.
    private static string ToConfigurationKey(string failure)
    {
        var m = GeneratedMessage().Match(failure);
        if (!m.Success)
        {
            return $"{ProcessingOptions.SectionName}: {failure}";
        }
        string key = ProcessingOptions.SectionName + ":" + m.Groups["path"].Value
            .Replace("[", ":", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Replace('.', ':');
        int colon = failure.IndexOf(": ", StringComparison.Ordinal);
        string message = colon > 0 && colon < m.Index ? failure[(colon + 2)..] : failure;
        return $"{key}: {message}";
    }

    [GeneratedRegex(@"ProcessingOptions\.(?<path>[A-Za-z0-9_.\[\]]*[A-Za-z0-9_\]])")]
    private static partial Regex GeneratedMessage();
}
