using EdgeStream.Log;
using EdgeStream.Sinks.Http;
using EdgeStream.Sinks.Kafka;
using EdgeStream.Sinks.Mqtt;
using EdgeStream.Sinks.Nats;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>A running <see cref="ForwardingEngine"/> that is stopped (and its sinks disposed) on dispose.</summary>
public sealed class EngineRun : IAsyncDisposable
{
    public static readonly ISinkFactory[] Factories = [new KafkaSinkFactory(), new NatsSinkFactory(), new HttpSinkFactory(), new MqttSinkFactory()];

    private readonly CancellationTokenSource _cts = new();
    private readonly Task _run;

    private EngineRun(ForwardingEngine engine)
    {
        Engine = engine;
        _run = engine.RunAsync(_cts.Token);
    }

    public ForwardingEngine Engine { get; }

    public static EngineRun Start(LogStore log, params SinkOptions[] sinks) => Start(log, o => { }, sinks);

    public static EngineRun Start(LogStore log, Action<ForwardingOptions> configure, params SinkOptions[] sinks)
    {
        var options = new ForwardingOptions { NodeId = "node1", TopicDiscoveryInterval = TimeSpan.FromMilliseconds(200) };
        options.Sinks.AddRange(sinks);
        configure(options);
        return new EngineRun(new ForwardingEngine(log, options, Factories));
    }

    public static SinkOptions Sink(string name, string type, params (string Key, string Value)[] settings)
    {
        var s = new SinkOptions { Name = name, Type = type };
        s.Retry.InitialDelay = TimeSpan.FromMilliseconds(100);
        s.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        s.Retry.BreakDuration = TimeSpan.FromSeconds(1);
        foreach (var (k, v) in settings)
        {
            s.Settings[k] = v;
        }
        return s;
    }

    public SinkStatus Status(string sink) => Engine.GetStatus().Sinks.Single(s => s.Name == sink);

    /// <summary>Waits until every partition of the sink has committed up to the log's durable end.</summary>
    public async Task DrainedAsync(string sink, int expectedPartitions, TimeSpan timeout)
    {
        try
        {
            await DrainedCoreAsync(sink, expectedPartitions, timeout);
        }
        catch (TimeoutException e)
        {
            var s = Status(sink);
            throw new TimeoutException($"{e.Message}; state {s.State}, sent {s.SentRecords}, last error {s.LastError}, partitions {string.Join("; ", s.Partitions)}", e);
        }
    }

    private Task DrainedCoreAsync(string sink, int expectedPartitions, TimeSpan timeout)
        => Poll.UntilAsync(
            () =>
            {
                ThrowIfFailed();
                var s = Status(sink);
                return s.Partitions.Count >= expectedPartitions && s.Partitions.All(p => p.LagRecords == 0 && p.EndOffset > 0);
            },
            timeout,
            $"sink {sink} drained");

    public void ThrowIfFailed()
    {
        if (_run.IsFaulted)
        {
            throw new InvalidOperationException("engine failed", _run.Exception);
        }
    }

    /// <summary>Stops the engine as a crash would look to upstream: in-flight sends are abandoned.</summary>
    public async Task StopAsync()
    {
        await _cts.CancelAsync();
        await _run;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_run.IsCompleted)
            {
                await StopAsync();
            }
            else
            {
                await _run;
            }
        }
        finally
        {
            await Engine.DisposeAsync();
            _cts.Dispose();
        }
    }
}
