using System.Diagnostics.Metrics;
using EdgeStream.Ingest.Sensors.Diagnostics;
using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace by convention, so hosts call AddSensorIngest without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the EdgeStream sensor ingest stage.</summary>
public static class SensorIngestServiceCollectionExtensions
{
    /// <summary>
    /// Adds the sensor ingest: the sources listed in configuration section <c>Sensors</c> (validated when the host
    /// starts; a bad entry fails start-up naming its key, e.g. <c>Sensors:3:Address</c>), read on their schedules and
    /// appended to the <see cref="LogStore"/> registered in the container. Their live state is on the
    /// <see cref="SensorStatusBoard"/> singleton (the host shows it as the <c>sensors</c> status section). Sources with
    /// <c>Driver: simulated</c> need the host to register simulated hardware too (<c>AddSimulatedSensorHardware()</c>).
    /// See docs/sensors.md for the keys and the record schema.
    /// </summary>
    /// <param name="services">The host's services; must contain a <see cref="LogStore"/> singleton.</param>
    /// <param name="configuration">The configuration root holding the <c>Sensors</c> section.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSensorIngest(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Sensors");
        services.AddOptions<SensorIngestOptions>()
            .Configure(o => section.Bind(o.Sensors))
            .ValidateOnStart();
        UnknownSettings.Register(services, section, UnknownSettings.Probe(() => section.Get<List<SensorOptions>>(UnknownSettings.Strict)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SensorIngestOptions>, SensorOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SensorStatusBoard>();
        services.TryAddSingleton(sp => new SensorMetrics(sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<SensorStatusBoard>()));
        services.TryAddSingleton<BusLocks>();
        services.TryAddSingleton(sp => new HardwareSelector(sp.GetKeyedService<ISensorHardware>(SensorHardwareKeys.Simulated), new Lazy<RealHardware>(() => new RealHardware())));
        services.AddIngestWriter(SensorIngestService.IngestSource);
        services.AddHostedService<SensorIngestService>();
        return services;
    }
}
