using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Options;

namespace EdgeStream.Host.Run;

/// <summary>
/// Validates the <c>Log</c> section at start: the data annotations of <see cref="LogOptions"/> and of each
/// <see cref="TopicSettings"/> (through the generated validators below), then the rules annotations cannot express.
/// Reports every failure at once, each naming its key (<c>Log:Topics:telemetry:Partitions: …</c>). Stateless.
/// </summary>
internal sealed class LogOptionsValidator : IValidateOptions<LogOptions>
{
    private readonly LogOptionsAnnotations _options = new();
    private readonly TopicSettingsAnnotations _topic = new();

    public ValidateOptionsResult Validate(string? name, LogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string s = "Log";
        var failures = OptionsKeys.Map(_options.Validate(name, options), nameof(LogOptions), s).ToList();
        failures.AddRange(OptionsKeys.Map(_topic.Validate(name, options.Defaults), nameof(TopicSettings), $"{s}:Defaults"));
        // TimeSpan bounds are checked here: RangeAttribute(typeof(TimeSpan), …) needs reflection the trimmed build lacks.
        Positive(failures, $"{s}:RetentionCheckInterval", options.RetentionCheckInterval);
        Positive(failures, $"{s}:FailedPartitionGrace", options.FailedPartitionGrace);
        Positive(failures, $"{s}:CursorIdleExpiry", options.CursorIdleExpiry);
        TopicTimes(failures, $"{s}:Defaults", options.Defaults);
        try
        {
            CommitPolicy.Parse(options.CommitPolicy);
        }
        catch (FormatException e)
        {
            failures.Add($"{s}:CommitPolicy: {e.Message}");
        }
        if (options.OnCorruption?.Trim().ToLowerInvariant() is not ("skip" or "stop-partition"))
        {
            failures.Add($"{s}:OnCorruption must be 'skip' or 'stop-partition' (was '{options.OnCorruption}').");
        }
        foreach (var (topic, settings) in options.Topics)
        {
            if (!TopicName.IsValid(topic, out var reason))
            {
                failures.Add($"{s}:Topics:{topic}: {reason}");
                continue;
            }
            failures.AddRange(OptionsKeys.Map(_topic.Validate(name, settings), nameof(TopicSettings), $"{s}:Topics:{topic}"));
            TopicTimes(failures, $"{s}:Topics:{topic}", settings);
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void TopicTimes(List<string> failures, string path, TopicSettings settings)
    {
        Positive(failures, $"{path}:SegmentMaxAge", settings.SegmentMaxAge);
        Positive(failures, $"{path}:RetentionAge", settings.RetentionAge);
    }

    private static void Positive(List<string> failures, string key, TimeSpan? value)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            failures.Add($"{key}: must be positive (was {v}).");
        }
    }
}

/// <summary>The data annotations of <see cref="LogOptions"/> (generated; its failures name C# members, see <see cref="OptionsKeys"/>).</summary>
// LogOptions.Defaults is not marked [ValidateObjectMembers] (that attribute would make the log depend on
// Microsoft.Extensions.Options); LogOptionsValidator validates it, and each Topics entry, with TopicSettingsAnnotations.
#pragma warning disable SYSLIB1212
[OptionsValidator]
internal sealed partial class LogOptionsAnnotations : IValidateOptions<LogOptions>;
#pragma warning restore SYSLIB1212

/// <summary>The data annotations of <see cref="TopicSettings"/> (generated).</summary>
[OptionsValidator]
internal sealed partial class TopicSettingsAnnotations : IValidateOptions<TopicSettings>;
