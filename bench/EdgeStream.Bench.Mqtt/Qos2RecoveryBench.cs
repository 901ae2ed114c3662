using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStream.Ingest.Mqtt.Broker;
using EdgeStream.Ingest.Mqtt.Routing;
using EdgeStream.Log;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Bench.Mqtt;

/// <summary>
/// What the QoS 2 lookup after a restart costs (<see cref="ExactlyOnceRecovery"/>): a log partition filled with QoS 2
/// records as the broker stores them, reopened as after a crash; then the start, the first lookup (which builds the
/// partition's index) and further lookups, beside a plain read of the same records (the baseline).
/// </summary>
internal static class Qos2RecoveryBench
{
    public static async Task<int> RunAsync(int records)
    {
        var directory = Path.Combine(Path.GetTempPath(), "es-bench-qos2-" + Guid.NewGuid().ToString("N"));
        try
        {
            await FillAsync(directory, records);

            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory });
            var plain = Stopwatch.StartNew();
            var read = 0L;
            for (var next = 0L; ;)
            {
                var r = store.Read("mqtt", 0, next, ReadLimits.Default);
                if (r.Records.Count == 0)
                {
                    break;
                }
                read += r.Records.Count;
                next = r.NextOffset;
            }
            plain.Stop();

            // The first start includes JIT compilation (the shipped NativeAOT build has none); the second does not.
            var cold = Stopwatch.StartNew();
            using (var first = new ExactlyOnceRecovery(store, TimeSpan.FromMinutes(10), records, TimeProvider.System, NullLogger.Instance))
            {
                first.Start();
            }
            cold.Stop();
            using var recovery = new ExactlyOnceRecovery(store, TimeSpan.FromMinutes(10), records, TimeProvider.System, NullLogger.Instance);
            var start = Stopwatch.StartNew();
            recovery.Start();
            start.Stop();

            // The last record of client 0: the original of its retransmission.
            var (lastClient, lastId, lastPayload) = Message(records - Clients);
            var build = Stopwatch.StartNew();
            var found = await recovery.FindOriginalAsync(lastClient, lastId, dup: true, Publish(lastPayload), "mqtt", Encoding.UTF8.GetBytes(lastClient), CancellationToken.None);
            build.Stop();
            if (found is null)
            {
                Console.Error.WriteLine("the original was not found");
                return 1;
            }

            const int lookups = 1000;
            var more = Stopwatch.StartNew();
            for (var i = 0; i < lookups; i++)
            {
                var (client, id, payload) = Message(records - 1 - (i % Math.Min(records, 50_000)));
                _ = await recovery.FindOriginalAsync(client, id, dup: true, Publish(payload), "mqtt", Encoding.UTF8.GetBytes(client), CancellationToken.None);
            }
            more.Stop();

            Console.WriteLine($"QoS 2 lookup after a restart: {records} QoS 2 records from {Clients} clients in one partition, {Environment.ProcessorCount} CPUs");
            Console.WriteLine($"  plain read of the partition (baseline): {plain.Elapsed.TotalMilliseconds,8:F1} ms ({read} records)");
            Console.WriteLine($"  start (note the log's ends), cold/warm: {cold.Elapsed.TotalMilliseconds,8:F3} / {start.Elapsed.TotalMilliseconds:F3} ms");
            Console.WriteLine($"  first lookup (builds the index):        {build.Elapsed.TotalMilliseconds,8:F1} ms");
            Console.WriteLine($"  further lookups:                        {more.Elapsed.TotalMilliseconds * 1000 / lookups,8:F1} µs each ({lookups})");
            Console.WriteLine($"  managed memory after the index:         {GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024),8:F1} MiB");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task FillAsync(string directory, int records)
    {
        await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = directory, CommitPolicy = "group" });
        // One append per message, as the broker does (so one record per batch, unless appends coincide).
        for (var i = 0; i < records; i++)
        {
            var (client, id, payload) = Message(i);
            var decision = new RouteDecision(RouteOutcome.Store, "mqtt", null, null);
            await store.AppendBatchAsync("mqtt", 0, [MqttRecordFactory.Create(Publish(payload), client, decision, DateTimeOffset.UtcNow, qos2PacketId: id)]);
        }
        await store.FlushAsync();
    }

    private const int Clients = 100;

    /// <summary>Message i: client i % 100, packet ids cycling per client from 1, a small JSON payload.</summary>
    private static (string Client, ushort Id, string Payload) Message(int i)
        => ($"sensor-{i % Clients:D4}", (ushort)(i / Clients % 65535 + 1), $"{{\"seq\":{i.ToString(CultureInfo.InvariantCulture)},\"t\":21.5}}");

    private static MqttApplicationMessage Publish(string payload)
        => new MqttApplicationMessageBuilder().WithTopic("plant/line1/temp").WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce).Build();
}
