using System.Diagnostics.Metrics;
using EdgeStream.Forwarding;
using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// In the DI namespace by convention, so hosts call AddForwarding without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the forwarding engine in a host.</summary>
public static class ForwardingServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start) the <c>Forwarding</c> section, registers the <see cref="ForwardingEngine"/>
    /// singleton (for pause/resume/status) and the background service that runs it. Registers no sink type: the host
    /// adds each one it ships (<c>AddKafkaSink()</c>, <c>AddMqttSink()</c>, <c>AddNatsSink()</c>, <c>AddHttpSink()</c>,
    /// or <see cref="AddSinkFactory{TFactory}"/>); a configured sink of a type nobody added fails start naming its
    /// <c>Type</c> key. Needs a <see cref="LogStore"/> in the container.
    /// </summary>
    public static IServiceCollection AddForwarding(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ForwardingOptions.SectionName);
        services.AddOptions<ForwardingOptions>().Bind(section).ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownSettings.Probe(() => section.Get<ForwardingOptions>(UnknownSettings.Strict)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ForwardingOptions>, ForwardingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ForwardingEngine(
            sp.GetRequiredService<LogStore>(),
            sp.GetRequiredService<IOptions<ForwardingOptions>>().Value,
            sp.GetServices<ISinkFactory>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        services.AddHostedService<ForwardingService>();
        return services;
    }

    /// <summary>
    /// Registers a sink factory: in the list the engine and the options validator use, and as a keyed
    /// <see cref="ISinkFactory"/> under its <see cref="ISinkFactory.Type"/>. Sink projects call it from their own
    /// <c>Add…Sink()</c> method; registering the same factory twice is harmless.
    /// </summary>
    public static IServiceCollection AddSinkFactory<TFactory>(this IServiceCollection services)
        where TFactory : class, ISinkFactory, new()
    {
        var factory = new TFactory();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISinkFactory>(factory));
        services.TryAddKeyedSingleton<ISinkFactory>(factory.Type, factory);
        return services;
    }
}
