using EdgeStream.Ingest.Sensors.Hardware;
using EdgeStream.Simulation.Sensors;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In the DI namespace by convention, so hosts call AddSimulatedSensorHardware without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the simulated sensor hardware.</summary>
public static class SimulatedSensorHardwareServiceCollectionExtensions
{
    /// <summary>
    /// Makes sources configured with <c>Driver: simulated</c> read the register-map chip simulators (a
    /// <see cref="SimulatedHardware"/> singleton, keyed <see cref="SensorHardwareKeys.Simulated"/>), and drives their
    /// GPIO inputs with demo stimuli while the host runs. Call it next to <c>AddSensorIngest</c>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSimulatedSensorHardware(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SimulatedHardware(sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton<ISensorHardware>(SensorHardwareKeys.Simulated, (sp, _) => sp.GetRequiredService<SimulatedHardware>());
        services.AddHostedService<SimulatedStimulusService>();
        return services;
    }
}
