using System.Diagnostics.Metrics;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Hosting;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Runtime;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// In the DI namespace by convention, so hosts call AddProcessing without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers stream processing (rules over log topics) in a host.</summary>
public static class ProcessingServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start, errors naming the key) the <c>Processing</c> section: the rules
    /// (<c>Processing:Rules</c>) and the runtime settings (<c>Processing:SnapshotInterval</c>, <c>MaxBatchRecords</c>,
    /// <c>IdleCheckInterval</c>, <c>RestartDelay</c>, <c>MaxRestartDelay</c>, <c>StateDirectory</c>); registers the
    /// <c>EdgeStream.Processing</c> meter, a <c>processing</c> health check (degraded while a rule is faulted) and the
    /// background service that runs every enabled rule. Its status (per rule: state, lag, state size) comes from
    /// <see cref="GetProcessingStatus"/>. Needs a <see cref="LogStore"/> in the container.
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ProcessingOptions.SectionName);
        services.AddOptions<ProcessingOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProcessingOptions>, ProcessingOptionsValidation>());
        services.AddOptions<ProcessingRuntimeOptions>().Bind(section).ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownProcessingSettings.Find(section));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProcessingRuntimeOptions>, ProcessingRuntimeOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ProcessingMetrics(sp.GetService<IMeterFactory>()));
        var dataDirectory = configuration["Log:DataDirectory"] is { Length: > 0 } d ? d : new LogOptions().DataDirectory;
        services.TryAddSingleton(sp =>
        {
            var runtime = sp.GetRequiredService<IOptions<ProcessingRuntimeOptions>>().Value;
            var rules = sp.GetRequiredService<IOptions<ProcessingOptions>>().Value.Rules.Where(r => r.Enabled).Select(Definition).ToList();
            return new ProcessingEngine(sp.GetRequiredService<LogStore>(), rules, Settings(runtime, dataDirectory),
                sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ProcessingMetrics>());
        });
        services.AddHealthChecks().AddCheck<ProcessingHealthCheck>("processing", tags: ["ready"]);
        services.AddHostedService<ProcessingService>();
        return services;
    }

    /// <summary>Every rule's status for <c>/api/status</c> (state, fault, lag, inputs, counters, keys, state bytes).</summary>
    public static IReadOnlyList<RuleStatus> GetProcessingStatus(this IServiceProvider services)
        => services.GetRequiredService<ProcessingEngine>().GetStatus();

    internal static RuleDefinition Definition(RuleOptions rule)
        => new(rule.Id, rule.From.AllTopics(), rule.OutputTopics(), () => RuleEvaluatorFactory.Create(rule));

    internal static RuntimeSettings Settings(ProcessingRuntimeOptions o, string dataDirectory)
        => new(Path.GetFullPath(o.StateDirectory is { Length: > 0 } s ? s : Path.Combine(dataDirectory, "processing")),
            o.SnapshotInterval, o.MaxBatchRecords, o.IdleCheckInterval, o.RestartDelay, o.MaxRestartDelay);
}
