using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace EdgeStream.Processing.Hosting;

/// <summary>Source-generated checks of <see cref="ProcessingRuntimeOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class ProcessingRuntimeOptionsDataValidator : IValidateOptions<ProcessingRuntimeOptions>
{
}

/// <summary>Validates <see cref="ProcessingRuntimeOptions"/> at start; each failure names its key (<c>Processing:SnapshotInterval: …</c>). Stateless.</summary>
internal sealed partial class ProcessingRuntimeOptionsValidator : IValidateOptions<ProcessingRuntimeOptions>
{
    private static readonly ProcessingRuntimeOptionsDataValidator Data = new();

    public ValidateOptionsResult Validate(string? name, ProcessingRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (Data.Validate(name, options) is { Failed: true } data)
        {
            errors.AddRange((data.Failures ?? []).Select(f => GeneratedMessage().Match(f) is { Success: true } m
                ? $"Processing:{m.Groups["member"].Value}: {m.Groups["error"].Value} (was {Value(options, m.Groups["member"].Value)})."
                : "Processing:" + f));
        }
        // TimeSpan ranges by hand: RangeAttribute(typeof(TimeSpan)) is not trim-safe.
        Between(errors, nameof(options.SnapshotInterval), options.SnapshotInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        Between(errors, nameof(options.IdleCheckInterval), options.IdleCheckInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Between(errors, nameof(options.RestartDelay), options.RestartDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Between(errors, nameof(options.MaxRestartDelay), options.MaxRestartDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        if (options.MaxRestartDelay < options.RestartDelay)
        {
            errors.Add($"Processing:MaxRestartDelay: must not be shorter than Processing:RestartDelay ({options.RestartDelay}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Between(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Processing:{key}: must be between {min} and {max} (was {value}).");
        }
    }

    private static string Value(ProcessingRuntimeOptions o, string member) => member switch
    {
        nameof(o.SnapshotInterval) => o.SnapshotInterval.ToString(),
        nameof(o.MaxBatchRecords) => o.MaxBatchRecords.ToString(System.Globalization.CultureInfo.InvariantCulture),
        nameof(o.IdleCheckInterval) => o.IdleCheckInterval.ToString(),
        nameof(o.RestartDelay) => o.RestartDelay.ToString(),
        nameof(o.MaxRestartDelay) => o.MaxRestartDelay.ToString(),
        _ => "?",
    };

    [GeneratedRegex("members: '(?<member>[^']*)' with the error: '(?<error>.*?)\\.?'\\.?$", RegexOptions.Singleline)]
    private static partial Regex GeneratedMessage();
}
