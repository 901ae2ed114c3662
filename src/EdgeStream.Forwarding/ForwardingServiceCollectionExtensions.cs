using System.Diagnostics.Metrics;
using System.Reflection;
using EdgeStream.Forwarding;
using EdgeStream.Log;
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
    /// Binds and validates (at start) the <c>Forwarding</c> section, registers every sink factory deployed with the
    /// application (assemblies <c>EdgeStream.Sinks.*.dll</c> carrying <see cref="SinkFactoryAttribute"/>), the
    /// <see cref="ForwardingEngine"/> singleton (for pause/resume/status) and the background service that runs it.
    /// Needs a <see cref="LogStore"/> in the container.
    /// </summary>
    public static IServiceCollection AddForwarding(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ForwardingOptions>().Bind(configuration.GetSection(ForwardingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ForwardingOptions>, ForwardingOptionsValidator>());
        foreach (var type in InstalledFactoryTypes())
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(ISinkFactory), type));
        }
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

    /// <summary>Registers a sink factory explicitly (for sinks outside the <c>EdgeStream.Sinks.*</c> assemblies).</summary>
    public static IServiceCollection AddSinkFactory<TFactory>(this IServiceCollection services)
        where TFactory : class, ISinkFactory
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISinkFactory, TFactory>());
        return services;
    }

    private static readonly string[] KnownSinkAssemblies = ["EdgeStream.Sinks.Http", "EdgeStream.Sinks.Kafka", "EdgeStream.Sinks.Mqtt", "EdgeStream.Sinks.Nats"];

    // The engine must not reference the sink projects (their client libraries stay apart), so the factories are found
    // by convention among the assemblies deployed next to the application.
    private static IEnumerable<Type> InstalledFactoryTypes()
    {
        var dir = AppContext.BaseDirectory;
        var names = new SortedSet<string>(KnownSinkAssemblies, StringComparer.Ordinal);
        if (Directory.Exists(dir))
        {
            names.UnionWith(Directory.EnumerateFiles(dir, "EdgeStream.Sinks.*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>());
        }
        foreach (var name in names)
        {
            Assembly assembly;
            try
            {
                // By name, so single-file bundles (no .dll files on disk) resolve too.
                assembly = Assembly.Load(new AssemblyName(name));
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            foreach (var attribute in assembly.GetCustomAttributes<SinkFactoryAttribute>())
            {
                if (!typeof(ISinkFactory).IsAssignableFrom(attribute.FactoryType))
                {
                    throw new InvalidOperationException($"{attribute.FactoryType} in {name} does not implement ISinkFactory.");
                }
                yield return attribute.FactoryType;
            }
        }
    }
}
