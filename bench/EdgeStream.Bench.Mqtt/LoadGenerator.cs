using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Bench.Mqtt;

/// <summary>Measured outcome of one load case.</summary>
internal sealed record LoadResult(double MessagesPerSecond, double P50Ms, double P99Ms, long Errors);

/// <summary>
/// N MQTTnet clients, each keeping <c>window</c> QoS 1 publishes in flight (window workers per connection, each
/// awaiting its PUBACK before the next publish). Counts acknowledged publishes after a one-second warm-up.
/// </summary>
internal static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(int port, int connections, int window, int payloadBytes, TimeSpan duration)
    {
        var clients = new List<IMqttClient>();
        var factory = new MqttClientFactory();
        for (var i = 0; i < connections; i++)
        {
            var c = factory.CreateMqttClient();
            await c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"bench-{i}").WithCleanStart()
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(30)).Build());
            clients.Add(c);
        }
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        var warmupEnd = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * 1.0);
        var end = warmupEnd + (long)(Stopwatch.Frequency * duration.TotalSeconds);
        var latencies = new List<double>[connections * window];
        long errors = 0;
        var workers = new List<Task>();
        for (var c = 0; c < connections; c++)
        {
            for (var w = 0; w < window; w++)
            {
                var client = clients[c];
                var list = latencies[c * window + w] = new List<double>(4096);
                var topic = $"bench/{c}/data";
                workers.Add(Task.Run(async () =>
                {
                    var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                    while (true)
                    {
                        var start = Stopwatch.GetTimestamp();
                        if (start >= end)
                        {
                            return;
                        }
                        try
                        {
                            var result = await client.PublishAsync(message);
                            var now = Stopwatch.GetTimestamp();
                            if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
                            {
                                if (start >= warmupEnd && now <= end)
                                {
                                    list.Add((now - start) * 1000.0 / Stopwatch.Frequency);
                                }
                            }
                            else
                            {
                                Interlocked.Increment(ref errors);
                            }
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref errors);
                            await Task.Delay(10);
                        }
                    }
                }));
            }
        }
        await Task.WhenAll(workers);
        foreach (var c in clients)
        {
            await c.DisconnectAsync();
            c.Dispose();
        }
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Pct(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new LoadResult(all.Length / duration.TotalSeconds, Pct(0.50), Pct(0.99), errors);
    }

    /// <summary>
    /// QoS 0 ("stored, not acknowledged"): <c>window</c> workers per connection publish QoS 0 as fast as the client
    /// writes them for <paramref name="duration"/>; then each connection publishes one QoS 1 message and awaits its
    /// PUBACK, which a broker sends only after it handled every earlier message of that connection (EdgeStream: appended
    /// to the log, and durable). The rate is QoS 0 messages over the time from the first publish to the last PUBACK.
    /// </summary>
    public static async Task<LoadResult> RunQos0Async(int port, int connections, int window, int payloadBytes, TimeSpan duration)
    {
        var clients = new List<IMqttClient>();
        var factory = new MqttClientFactory();
        for (var i = 0; i < connections; i++)
        {
            var c = factory.CreateMqttClient();
            await c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"bench0-{i}").WithCleanStart()
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(60)).Build());
            clients.Add(c);
        }
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(Stopwatch.Frequency * duration.TotalSeconds);
        long sent = 0, errors = 0;
        var perConnection = new List<Task>();
        for (var c = 0; c < connections; c++)
        {
            var client = clients[c];
            var topic = $"bench/{c}/data";
            var workers = Enumerable.Range(0, window).Select(_ => Task.Run(async () =>
            {
                var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).Build();
                long n = 0;
                while (Stopwatch.GetTimestamp() < end)
                {
                    try
                    {
                        await client.PublishAsync(message);
                        n++;
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref errors);
                        await Task.Delay(10);
                    }
                }
                Interlocked.Add(ref sent, n);
            })).ToArray();
            perConnection.Add(Task.Run(async () =>
            {
                await Task.WhenAll(workers);
                var barrier = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                try
                {
                    var result = await client.PublishAsync(barrier);
                    if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception)
                {
                    // A connection the flood broke (a client-side timeout under load): counted, the case goes on.
                    Interlocked.Increment(ref errors);
                }
            }));
        }
        await Task.WhenAll(perConnection);
        var elapsed = Stopwatch.GetElapsedTime(start);
        foreach (var c in clients)
        {
            if (c.IsConnected)
            {
                await c.DisconnectAsync();
            }
            c.Dispose();
        }
        return new LoadResult(sent / elapsed.TotalSeconds, double.NaN, double.NaN, errors);
    }
}
