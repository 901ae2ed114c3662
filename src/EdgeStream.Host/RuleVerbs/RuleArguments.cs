using System.CommandLine;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Configuration;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// What <c>rules test</c> and <c>rules backfill</c> share: the rule id, <c>--config</c> (the JSON file holding
/// <c>Processing:Rules</c>, as <c>edgestream run</c> reads it), <c>--data</c>, <c>--from</c>/<c>--to</c> (an offset in
/// every input partition, or an ISO-8601 time), and loading and validating the rule. Stateless.
/// </summary>
internal sealed class RuleArguments
{
    public Argument<string> RuleId { get; } = new("rule-id") { Description = "The rule's Id in Processing:Rules." };

    public Option<string> Config { get; } = new("--config") { Description = "The configuration file holding Processing:Rules.", Required = true };

    public Option<string> Data { get; } = LogAccess.DataOption();

    public Option<string?> From { get; } = new("--from") { Description = "Start at this offset (in every input partition) or ISO-8601 time (default: the first stored record)." };

    public Option<string?> To { get; } = new("--to") { Description = "Stop before this offset or time (default: the durable end)." };

    public Option<bool> CloseAtEnd { get; } = new("--close-open") { Description = "At the end, close windows still open (as the idle timeout would) and emit them too." };

    public void AddTo(Command command)
    {
        command.Add(RuleId);
        command.Add(Config);
        command.Add(Data);
        command.Add(From);
        command.Add(To);
        command.Add(CloseAtEnd);
        command.Validators.Add(result =>
        {
            foreach (var option in new[] { From, To })
            {
                if (result.GetValue(option) is { } text && !ReplayBound.TryParse(text, out _))
                {
                    result.AddError($"{option.Name}: '{text}' is neither an offset nor an ISO-8601 time.");
                }
            }
        });
    }

    public static ReplayBound? Bound(string? text) => text is not null && ReplayBound.TryParse(text, out var b) ? b : null;

    /// <summary>Why <c>--from</c>/<c>--to</c> make an empty range (both offsets or both times, from after to), or null.</summary>
    public static string? RangeError(ReplayBound? from, ReplayBound? to)
        => (from, to) switch
        {
            ({ Offset: { } f }, { Offset: { } t }) when f > t => $"--from {f} is after --to {t}",
            ({ Time: { } f }, { Time: { } t }) when f > t => $"--from {f:O} is after --to {t:O}",
            _ => null,
        };

    /// <summary>The rule, validated as <c>edgestream run</c> validates it; null after writing why.</summary>
    public static async Task<RuleOptions?> LoadAsync(string configFile, string ruleId, TextWriter error)
        => (await LoadWithOthersAsync(configFile, ruleId, error))?.Rule;

    /// <summary>The rule (validated) and every rule of the file (to know which topics rules write live); null after writing why.</summary>
    public static async Task<(RuleOptions Rule, IReadOnlyList<RuleOptions> All)?> LoadWithOthersAsync(string configFile, string ruleId, TextWriter error)
    {
        if (!File.Exists(configFile))
        {
            await error.WriteLineAsync($"edgestream: no configuration file '{configFile}'");
            return null;
        }
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false).Build();
        var options = new ProcessingOptions();
        configuration.GetSection(ProcessingOptions.SectionName).Bind(options);
        var index = options.Rules.FindIndex(r => r.Id == ruleId);
        if (index < 0)
        {
            await error.WriteLineAsync($"edgestream: no rule '{ruleId}' in {configFile} (rules: {string.Join(", ", options.Rules.Select(r => r.Id))})");
            return null;
        }
        var errors = ProcessingOptionsValidation.ValidateRule(options.Rules[index], $"{ProcessingOptions.SectionName}:Rules:{index}");
        if (errors.Count > 0)
        {
            await error.WriteLineAsync($"edgestream: invalid rule: {string.Join("; ", errors)}");
            return null;
        }
        return (options.Rules[index], options.Rules);
    }
}
