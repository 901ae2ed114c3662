using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Options;

namespace EdgeStream.Forwarding;

/// <summary>
/// Validates <see cref="ForwardingOptions"/> at start: the data annotations of the section, each sink, its batch and
/// retry settings (through the generated <see cref="ForwardingOptionsAnnotations"/>), then the rules annotations cannot
/// express (names, types, topics, start positions, delays that bound each other, each sink type's own settings).
/// Reports every failure at once, each naming its full configuration key. Stateless.
/// </summary>
internal sealed class ForwardingOptionsValidator(IEnumerable<ISinkFactory> factories) : IValidateOptions<ForwardingOptions>
{
    public ValidateOptionsResult Validate(string? name, ForwardingOptions options)
    {
        var failures = Failures(options, factories);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every failure (the first key leads the message).</summary>
    public static void Check(ForwardingOptions options, IEnumerable<ISinkFactory> factories)
    {
        var failures = Failures(options, factories);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", failures));
        }
    }

    /// <summary>Every failure, each starting with its key (<c>Forwarding:Sinks:1:Batch:MaxRecords: …</c>).</summary>
    public static List<string> Failures(ForwardingOptions options, IEnumerable<ISinkFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string root = ForwardingOptions.SectionName;
        var failures = OptionsKeys.Map(new ForwardingOptionsAnnotations().Validate(null, options), nameof(ForwardingOptions), root).ToList();
        var byType = factories.ToDictionary(f => f.Type, StringComparer.OrdinalIgnoreCase);
        Within(failures, $"{root}:CursorCommitInterval", options.CursorCommitInterval, TimeSpan.Zero, TimeSpan.FromSeconds(10), "between 0 and 10 seconds");
        Within(failures, $"{root}:TopicDiscoveryInterval", options.TopicDiscoveryInterval, TimeSpan.FromTicks(1), TimeSpan.MaxValue, "positive");
        if (string.IsNullOrWhiteSpace(options.NodeId) || options.NodeId.Contains('/', StringComparison.Ordinal))
        {
            failures.Add($"{root}:NodeId must be set and must not contain '/' (was '{options.NodeId}').");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Sinks.Count; i++)
        {
            var s = options.Sinks[i];
            var path = $"{root}:Sinks:{i}";
            if (!TopicName.IsValid(s.Name, out var reason))
            {
                failures.Add($"{path}:Name '{s.Name}' is not a valid cursor name: {reason.Replace("topic name", "name", StringComparison.Ordinal)}.");
            }
            else if (!names.Add(s.Name))
            {
                failures.Add($"{path}:Name '{s.Name}' is used by another sink.");
            }
            for (var t = 0; t < s.Topics.Count; t++)
            {
                if (!TopicName.IsValid(s.Topics[t].TrimEnd('*'), out var why))
                {
                    failures.Add($"{path}:Topics:{t} '{s.Topics[t]}': {why}.");
                }
            }
            if (!StartPosition.TryParse(s.Start, out _))
            {
                failures.Add($"{path}:Start '{s.Start}' must be 'earliest', 'latest' or an ISO-8601 timestamp.");
            }
            // TimeSpan bounds live here, not in [Range]: RangeAttribute(typeof(TimeSpan), …) needs reflection the trimmed build lacks.
            Within(failures, $"{path}:Batch:Linger", s.Batch.Linger, TimeSpan.Zero, TimeSpan.FromMinutes(1), "between 0 and 1 minute");
            Within(failures, $"{path}:Retry:InitialDelay", s.Retry.InitialDelay, TimeSpan.FromTicks(1), TimeSpan.MaxValue, "positive");
            Within(failures, $"{path}:Retry:BreakDuration", s.Retry.BreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.MaxValue, "at least 500 ms (Polly's minimum)");
            Within(failures, $"{path}:Retry:SamplingDuration", s.Retry.SamplingDuration, TimeSpan.FromMilliseconds(500), TimeSpan.MaxValue, "at least 500 ms");
            if (s.Retry.MaxDelay < s.Retry.InitialDelay)
            {
                failures.Add($"{path}:Retry:MaxDelay must be at least InitialDelay.");
            }
            if (!byType.TryGetValue(s.Type ?? "", out var factory))
            {
                failures.Add($"{path}:Type '{s.Type}' is not one of: {string.Join(", ", byType.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }
            try
            {
                // Each sink type checks its own settings and stops at the first bad one.
                factory.Validate(s, $"{path}:Settings");
            }
            catch (ArgumentException e)
            {
                failures.Add(e.Message);
            }
        }
        return failures;
    }

    private static void Within(List<string> failures, string key, TimeSpan value, TimeSpan min, TimeSpan max, string what)
    {
        if (value < min || value > max)
        {
            failures.Add($"{key}: must be {what} (was {value}).");
        }
    }
}

/// <summary>The data annotations of <see cref="ForwardingOptions"/> and its sinks (generated; see <see cref="OptionsKeys"/>).</summary>
[OptionsValidator]
internal sealed partial class ForwardingOptionsAnnotations : IValidateOptions<ForwardingOptions>;
