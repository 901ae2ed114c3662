using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>
/// Measures a broker's acknowledged throughput: <see cref="LoadOptions.Devices"/> connections each keep
/// <see cref="LoadOptions.InFlight"/> QoS 1 publishes outstanding (a new one leaves as soon as one is acked)
/// until <see cref="LoadOptions.Duration"/> is over, recording publish-to-PUBACK latency.
/// </summary>
public static class LoadGenerator
{
    private const int ConnectParallelism = 32;

    /// <summary>Connects, publishes for the configured time, disconnects and reports. Cancellation ends the run early.</summary>
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var connections = Enumerable.Range(0, options.Devices).Select(i => new Connection(options, i)).ToArray();
        try
        {
            await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism, CancellationToken = cancellationToken },
                async (c, ct) => await c.TryConnectAsync(ct));
            var up = connections.Where(c => c.Client.IsConnected).ToArray();
            var counters = new Counters();
            var start = Stopwatch.GetTimestamp();
            var deadline = start + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            var workers = up.SelectMany(c => Enumerable.Range(0, options.InFlight).Select(_ => c.WorkAsync(deadline, counters, cancellationToken)));
            await Task.WhenAll(workers);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var latency = new LatencyHistogram();
            foreach (var c in up)
            {
                latency.Add(c.Latency);
            }
            return new LoadReport(options.Devices, up.Length, counters.Acked, counters.Failed, elapsed,
                latency.Percentile(50), latency.Percentile(99), latency.Max);
        }
        finally
        {
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }
        }
    }

    private sealed class Counters
    {
        public long Acked;
        public long Failed;
    }

    /// <summary>One connection and its workers; the workers share the client, MQTTnet assigns packet ids.</summary>
    private sealed class Connection(LoadOptions options, int index) : IAsyncDisposable
    {
        private readonly string _topic = options.TopicTemplate.Replace("{device}", $"{options.ClientIdPrefix}-{index:D4}", StringComparison.Ordinal);
        private readonly byte[] _payload = Payload(options, index);
        private long _started;

        public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();

        public LatencyHistogram Latency { get; } = new();

        public async Task TryConnectAsync(CancellationToken cancellationToken)
        {
            var clientOptions = MqttClientOptionsFactory.Create(options.Host, options.Port, $"{options.ClientIdPrefix}-{index:D4}", options.Protocol, options.Timeout);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Timeout);
                await Client.ConnectAsync(clientOptions, timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Reported as Devices - Connected.
            }
        }

        public async Task WorkAsync(long deadline, Counters counters, CancellationToken cancellationToken)
        {
            var limit = options.MessagesPerDevice ?? long.MaxValue;
            while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested
                && Interlocked.Increment(ref _started) <= limit && Client.IsConnected)
            {
                var message = new MqttApplicationMessageBuilder()
                    .WithTopic(_topic)
                    .WithPayload(_payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build();
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(options.Timeout);
                    var result = await Client.PublishAsync(message, timeout.Token);
                    if (result.IsSuccess)
                    {
                        Latency.Record(Stopwatch.GetElapsedTime(sent));
                        Interlocked.Increment(ref counters.Acked);
                    }
                    else
                    {
                        Interlocked.Increment(ref counters.Failed);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // Timed out or the connection broke: count it; the loop ends if the client is gone.
                    Interlocked.Increment(ref counters.Failed);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Client.IsConnected)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(options.Timeout);
                    await Client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
                }
                catch (Exception)
                {
                    // Closing a broken connection: nothing to report.
                }
            }
            Client.Dispose();
        }

        private static byte[] Payload(LoadOptions options, int index)
        {
            var reading = new TelemetryGenerator($"{options.ClientIdPrefix}-{index:D4}", index).Next(DateTimeOffset.UtcNow);
            var record = TelemetryCodec.Encode(reading, PayloadFormat.Binary, options.Size);
            return record.Length == options.Size ? record : record[..options.Size];
        }
    }
}
