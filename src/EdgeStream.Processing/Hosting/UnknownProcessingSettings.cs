using EdgeStream.Processing.Options;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;

namespace EdgeStream.Processing.Hosting;

/// <summary>
/// The <c>Processing</c> keys no setting binds. Two types bind that one section (the rules, <see cref="ProcessingOptions"/>,
/// and the runtime settings, <see cref="ProcessingRuntimeOptions"/>), so a top-level key is unknown only when neither
/// has it, and the runtime keys must be set aside before the rules' bind can name a typo inside a rule. Stateless.
/// </summary>
internal static class UnknownProcessingSettings
{
    public static UnknownSettings.Refusal? Find(IConfigurationSection section)
    {
        var rules = UnknownSettings.Probe(() => section.Get<ProcessingOptions>(UnknownSettings.Strict));
        if (rules is not { } refusal || refusal.Type != typeof(ProcessingOptions).ToString())
        {
            return rules;
        }
        var runtime = UnknownSettings.Probe(() => section.Get<ProcessingRuntimeOptions>(UnknownSettings.Strict));
        var neither = refusal.Names.Where(n => runtime?.Names.Contains(n) == true).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (neither.Count > 0)
        {
            return refusal with { Names = neither };
        }
        var withoutRuntime = new ConfigurationBuilder()
            .AddInMemoryCollection(section.AsEnumerable(makePathsRelative: true).Where(kv => !refusal.Names.Contains(kv.Key.Split(':')[0])))
            .Build();
        return UnknownSettings.Probe(() => withoutRuntime.Get<ProcessingOptions>(UnknownSettings.Strict));
    }
}
