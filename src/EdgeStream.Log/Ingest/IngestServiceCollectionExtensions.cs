using System.Diagnostics.Metrics;
using EdgeStream.Log;
using EdgeStream.Log.Ingest;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ingest sources' writers with a service container.</summary>
public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IIngestWriter"/> of <paramref name="source"/> as a keyed singleton (key: the source
    /// name; inject it with <c>[FromKeyedServices("mqtt")] IIngestWriter</c>), and the shared <see cref="LogIngest"/>
    /// once. Requires <see cref="LogStore"/> in the container. A writer registered for the key before (a test's
    /// wrapper) wins.
    /// </summary>
    public static IServiceCollection AddIngestWriter(this IServiceCollection services, string source)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        services.TryAddSingleton(sp => new LogIngest(sp.GetRequiredService<LogStore>(), sp.GetService<IMeterFactory>()));
        services.TryAddKeyedSingleton<IIngestWriter>(source, (sp, _) => sp.GetRequiredService<LogIngest>().Writer(source));
        return services;
    }
}
