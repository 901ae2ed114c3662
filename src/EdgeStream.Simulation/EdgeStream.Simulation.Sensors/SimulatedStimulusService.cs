using EdgeStream.Ingest.Sensors.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeStream.Simulation.Sensors;

/// <summary>
/// Drives the demo inputs of the simulated GPIO sources (pulse counters, contacts) for as long as the host runs,
/// so sensor ingest sees edges as it would from real wiring. Stimulus on a pin nobody listens to yet is dropped by
/// the simulated driver, as it would be on a real pin.
/// </summary>
internal sealed class SimulatedStimulusService(IOptions<SensorIngestOptions> options, SimulatedHardware hardware, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stimuli = options.Value.Sensors
            .Where(s => s.Simulated && SensorTypes.IsGpio(s.Kind) && s.Pin is not null)
            .Select(s => hardware.RunStimulusAsync(s, time, stoppingToken));
        try
        {
            await Task.WhenAll(stimuli).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
