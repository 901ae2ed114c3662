using System.Globalization;
using System.Net.Sockets;
using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using EdgeStream.Log;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// End to end: `edgestream run` is killed with SIGKILL and restarted while a publisher sends numbered QoS 1 messages;
/// every message whose PUBACK arrived must be in the log afterwards, in per-client order.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IMqttClient?> TryConnectAsync(int port)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("crash-pub").WithTimeout(TimeSpan.FromSeconds(5)).Build(), Ct);
            return client;
        }
        catch (Exception e) when (e is SocketException or MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException && !Ct.IsCancellationRequested)
        {
            client.Dispose();
            return null;
        }
    }

    [Fact]
    public async Task Every_acknowledged_message_survives_repeated_sigkill_in_per_client_order()
    {
        // The shipped (published) build, as users run it.
        var host = await ShippedBuild.GetAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "es-crash-" + Guid.NewGuid().ToString("N"));
        var port = Ports.Free();
        var acked = new SortedSet<int>();
        var next = 0;
        var window = 8;
        try
        {
            for (var round = 0; round < 4; round++)
            {
                using var process = EdgeStreamRun.Start(host, dataDir, port);
                try
                {
                    var client = await Poll.UntilAsync(() => TryConnectAsync(port), TimeSpan.FromSeconds(30), "the restarted host to accept a client", Ct);
                    using (client)
                    {
                        // Resend what was never acknowledged (at least once), then continue with new numbers.
                        var todo = new Queue<int>(Enumerable.Range(0, next).Where(i => !acked.Contains(i)));
                        var killAt = DateTime.UtcNow.AddMilliseconds(400 + Random.Shared.Next(600));
                        var inFlight = new List<Task>();
                        var killed = false;
                        while (!killed)
                        {
                            while (inFlight.Count < window)
                            {
                                var n = todo.Count > 0 ? todo.Dequeue() : next++;
                                var message = new MqttApplicationMessageBuilder().WithTopic($"crash/{n % 4}").WithPayload(n.ToString(CultureInfo.InvariantCulture))
                                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                                inFlight.Add(PublishAsync(client, message, n, acked));
                            }
                            await Task.WhenAny(inFlight);
                            inFlight.RemoveAll(t => t.IsCompleted);
                            if (DateTime.UtcNow >= killAt)
                            {
                                process.Kill(); // SIGKILL: no shutdown, no final flush
                                killed = true;
                            }
                        }
                        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(30), Ct);
                    }
                }
                finally
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                    }
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }

            Assert.NotEmpty(acked);
            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = dataDir }, cancellationToken: Ct);
            var firstSeen = new List<int>();
            var seen = new HashSet<int>();
            foreach (var p in store.GetTopic("mqtt")!.Partitions)
            {
                var offset = 0L;
                while (true)
                {
                    var read = store.Read("mqtt", p.Partition, offset, ReadLimits.Default);
                    if (read.Records.Count == 0)
                    {
                        break;
                    }
                    foreach (var r in read.Records)
                    {
                        var n = int.Parse(Encoding.UTF8.GetString(r.Value.Span), CultureInfo.InvariantCulture);
                        if (seen.Add(n))
                        {
                            firstSeen.Add(n);
                        }
                    }
                    offset = read.NextOffset;
                }
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{acked.Count} acknowledged of {next} sent over 4 SIGKILLs; {seen.Count} distinct in the log");
            var lost = acked.Where(n => !seen.Contains(n)).ToList();
            Assert.True(lost.Count == 0, $"acknowledged but not in the log: {string.Join(',', lost.Take(20))} (of {acked.Count} acknowledged)");
            // One client, keyed by client id: one partition, in publish order (first copies; resends may repeat).
            var ackedInLogOrder = firstSeen.Where(acked.Contains).ToList();
            Assert.Equal(acked.ToList(), ackedInLogOrder);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task PublishAsync(IMqttClient client, MqttApplicationMessage message, int n, SortedSet<int> acked)
    {
        try
        {
            var result = await client.PublishAsync(message, Ct);
            if (result.IsSuccess)
            {
                lock (acked)
                {
                    acked.Add(n);
                }
            }
        }
        catch (Exception) when (!Ct.IsCancellationRequested)
        {
            // The broker was killed: this one is unacknowledged and will be resent.
        }
    }
}
