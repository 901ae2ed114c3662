using System.Diagnostics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeStream.Bench.Footprint;

/// <summary>
/// QoS 1 publishes paced to a target rate: <c>connections</c> MQTT clients each publish at rate/connections on a schedule,
/// with at most <c>window</c> unacknowledged publishes per connection (a full window delays the schedule, so the
/// achieved rate is what the broker acknowledged). The fleet's LoadGenerator cannot pace: it publishes as fast as acks return.
/// </summary>
internal sealed class PacedPublisher(int port, int rate, int connections, int window, string prefix) : IAsyncDisposable
{
    private readonly IMqttClient[] _clients = Enumerable.Range(0, connections).Select(_ => new MqttClientFactory().CreateMqttClient()).ToArray();
    private readonly byte[] _payload = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private long _acked;
    private long _failed;
    private string? _firstFailure;

    /// <summary>Why the first failed publish failed (reason code or exception), null when none failed.</summary>
    public string? FirstFailure => Volatile.Read(ref _firstFailure);

    public async Task ConnectAsync()
    {
        for (var i = 0; i < _clients.Length; i++)
        {
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port)
                .WithClientId($"{prefix}-{i:D3}")
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithTimeout(TimeSpan.FromSeconds(10))
                .Build();
            await _clients[i].ConnectAsync(options);
        }
    }

    public async Task<(long Acked, long Failed, TimeSpan Elapsed)> RunAsync(TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(_clients.Select((c, i) => Task.Run(() => PaceAsync(c, i, start, duration))));
        return (Interlocked.Read(ref _acked), Interlocked.Read(ref _failed), Stopwatch.GetElapsedTime(start));
    }

    private async Task PaceAsync(IMqttClient client, int index, long start, TimeSpan duration)
    {
        var perConnection = rate / (double)connections;
        var topic = $"sensors/{prefix}-{index:D3}/telemetry";
        using var slots = new SemaphoreSlim(window, window);
        var pending = new List<Task>();
        long sent = 0;
        while (true)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= duration)
            {
                break;
            }
            var due = (long)(elapsed.TotalSeconds * perConnection) + 1;
            while (sent < due)
            {
                await slots.WaitAsync();
                sent++;
                pending.Add(PublishOneAsync(client, topic, slots));
            }
            pending.RemoveAll(t => t.IsCompleted);
            await Task.Delay(1);
        }
        await Task.WhenAll(pending);
    }

    private async Task PublishOneAsync(IMqttClient client, string topic, SemaphoreSlim slots)
    {
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(_payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var result = await client.PublishAsync(message, timeout.Token);
            if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
            {
                Interlocked.Increment(ref _acked);
            }
            else
            {
                Interlocked.Increment(ref _failed);
                Interlocked.CompareExchange(ref _firstFailure, $"PUBACK {result.ReasonCode} '{result.ReasonString}'", null);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstFailure, $"{e.GetType().Name}: {e.Message}", null);
        }
        finally
        {
            slots.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            try
            {
                if (c.IsConnected)
                {
                    await c.DisconnectAsync(new MqttClientDisconnectOptions());
                }
            }
            catch (Exception)
            {
                // Closing: nothing to report.
            }
            c.Dispose();
        }
    }
}
