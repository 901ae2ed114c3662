using System.Net.Sockets;
using System.Text;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using EdgeStream.Ingest.Mqtt.Tests.Mqtt5;
using EdgeStream.Log;

namespace EdgeStream.Ingest.Mqtt.Tests;

/// <summary>
/// End to end on the shipped build: a QoS 2 PUBLISH acknowledged with PUBREC, `edgestream run` killed with SIGKILL
/// before PUBREL, restarted on the same data directory; the client reconnects and retransmits with DUP, as a client
/// with a persistent session does. The log must hold the message once.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ExactlyOnceCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_qos2_message_resent_after_a_sigkill_of_edgestream_is_stored_once()
    {
        var host = await ShippedBuild.GetAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "es-qos2-crash-" + Guid.NewGuid().ToString("N"));
        var port = Ports.Free();
        try
        {
            using (var first = EdgeStreamRun.Start(host, dataDir, port))
            {
                try
                {
                    await using var client = await ConnectAsync(port);
                    await client.PublishQos2Async("plant/line1/count", "4711", 7, dup: false);
                    await client.ExpectAsync(RawMqtt311Client.PubRec, 7); // durable in the log
                }
                finally
                {
                    await EdgeStreamRun.KillAsync(first); // SIGKILL before PUBREL: no shutdown, no final flush
                }
            }

            using (var second = EdgeStreamRun.Start(host, dataDir, port))
            {
                try
                {
                    await using var client = await ConnectAsync(port);
                    await client.PublishQos2ExchangeAsync("plant/line1/count", "4711", 7, dup: true);
                }
                finally
                {
                    await EdgeStreamRun.KillAsync(second);
                }
            }

            await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = dataDir }, cancellationToken: Ct);
            var stored = new List<StoredRecord>();
            foreach (var p in store.GetTopic("mqtt")!.Partitions)
            {
                for (var offset = 0L; ;)
                {
                    var read = store.Read("mqtt", p.Partition, offset, ReadLimits.Default);
                    if (read.Records.Count == 0)
                    {
                        break;
                    }
                    stored.AddRange(read.Records);
                    offset = read.NextOffset;
                }
            }
            Assert.Equal(["4711"], stored.Select(r => Encoding.UTF8.GetString(r.Value.Span)));
            Assert.Equal("7", Encoding.UTF8.GetString(stored[0].GetHeader("mqtt.packet-id")!.Value.Span));
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

    private static Task<RawMqtt311Client> ConnectAsync(int port)
        => Poll.UntilAsync(async () =>
        {
            try
            {
                return await RawMqtt311Client.ConnectAsync(port, "line1-counter", cleanSession: false, level: 5);
            }
            catch (SocketException)
            {
                return null; // not listening yet
            }
        }, TimeSpan.FromSeconds(30), "edgestream to accept an MQTT client", Ct);
}
