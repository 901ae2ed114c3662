namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>Runs a fleet of <see cref="SimulatedDevice"/>s side by side until the run's bound is reached.</summary>
public static class Fleet
{
    /// <summary>How many devices connect at the same time when a fleet starts (a burst of thousands of CONNECTs chokes small brokers).</summary>
    private const int ConnectParallelism = 32;

    /// <summary>
    /// Runs <see cref="FleetOptions.Devices"/> devices concurrently and reports what each did. Bounded by
    /// <see cref="FleetOptions.Duration"/> / <see cref="FleetOptions.MessagesPerDevice"/>; cancellation ends it
    /// early and still returns the report.
    /// </summary>
    public static async Task<FleetReport> RunAsync(FleetOptions options, CancellationToken cancellationToken, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var time = timeProvider ?? TimeProvider.System;
        var devices = Enumerable.Range(0, options.Devices).Select(i => new SimulatedDevice(options, i, time)).ToArray();
        var start = time.GetTimestamp();
        try
        {
            using var connectGate = new SemaphoreSlim(ConnectParallelism);
            var runs = devices.Select(d => RunOneAsync(d, connectGate, cancellationToken)).ToArray();
            var stats = await Task.WhenAll(runs);
            return new FleetReport(stats, time.GetElapsedTime(start));
        }
        finally
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync();
            }
        }
    }

    private static async Task<DeviceStats> RunOneAsync(SimulatedDevice device, SemaphoreSlim connectGate, CancellationToken cancellationToken)
    {
        try
        {
            await connectGate.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return device.Stats;
        }
        try
        {
            try
            {
                await device.ConnectAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return device.Stats;
            }
            catch (Exception)
            {
                // RunAsync retries the connection on its schedule and buffers meanwhile.
            }
        }
        finally
        {
            connectGate.Release();
        }
        return await device.RunAsync(cancellationToken);
    }
}
