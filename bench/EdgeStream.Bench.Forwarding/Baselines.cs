using System.Buffers;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EdgeStream.Bench.Forwarding;

/// <summary>
/// The same records sent by each upstream's own client, straight from memory (no log), with the same delivery
/// guarantee EdgeStream gives: acknowledged, in order per partition, partitions in parallel.
/// </summary>
internal static class Baselines
{
    /// <summary>Kafka: the client's fastest safe pattern — every record produced, then wait for all acks.</summary>
    public static async Task KafkaAsync(string node, string bootstrap, int partitions, long perPartition, int size)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, CompressionType = CompressionType.Lz4, LingerMs = 1 };  // the sink's own producer settings
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        long failed = 0;
        for (long i = 0; i < perPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                var headers = new Headers { { "edgestream-id", Encoding.UTF8.GetBytes(BenchRecords.Id(node, p, i)) } };
                var message = new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes($"{node}/{BenchRecords.Topic}/{p}"), Value = BenchRecords.Value(p, i, size), Headers = headers };
                while (true)
                {
                    try
                    {
                        producer.Produce("direct", message, r =>
                        {
                            if (r.Error.IsError)
                            {
                                Interlocked.Increment(ref failed);
                            }
                        });
                        break;
                    }
                    catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        await Task.CompletedTask;
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} Kafka deliveries failed");
        }
    }

    /// <summary>NATS: JetStream publish with Nats-Msg-Id awaiting each PubAck, one publisher per partition.</summary>
    public static async Task NatsAsync(string node, string url, int partitions, long perPartition, int size)
    {
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        await js.CreateOrUpdateStreamAsync(new StreamConfig("DIRECT", ["direct.*"]));
        await Task.WhenAll(Enumerable.Range(0, partitions).Select(async p =>
        {
            for (long i = 0; i < perPartition; i++)
            {
                var ack = await js.PublishAsync($"direct.{p}", BenchRecords.Value(p, i, size), opts: new NatsJSPubOpts { MsgId = BenchRecords.Id(node, p, i) });
                ack.EnsureSuccess();
            }
        }));
    }

    /// <summary>MQTT: QoS 1 publish awaiting each PUBACK, one publisher task per partition on one connection.</summary>
    public static async Task MqttAsync(string node, int port, int partitions, long perPartition, int size)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("direct").Build());
        await Task.WhenAll(Enumerable.Range(0, partitions).Select(async p =>
        {
            for (long i = 0; i < perPartition; i++)
            {
                var m = new MqttApplicationMessageBuilder().WithTopic($"direct/{p}").WithPayload(BenchRecords.Value(p, i, size))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithUserProperty("edgestream-id", Encoding.UTF8.GetBytes(BenchRecords.Id(node, p, i)).AsMemory()).Build();
                await client.PublishAsync(m);
            }
        }));
        await client.DisconnectAsync();
    }

    /// <summary>
    /// HTTP: gzip JSON-lines POSTs of 500 records with an Idempotency-Key, one sender per partition. Plain: each line
    /// written through the gzip stream (the straightforward client, and what the sink did before issue 13).
    /// Buffered: the lines written to memory and compressed in one call, as the sink does now — the same encoding cost
    /// on both sides, so the ratio shows the engine's own overhead (log read, batching, retry pipeline, cursor).
    /// </summary>
    public static async Task HttpAsync(string node, string url, int partitions, long perPartition, int size, bool buffered)
    {
        using var http = new HttpClient();
        await Task.WhenAll(Enumerable.Range(0, partitions).Select(async p =>
        {
            var lines = new ArrayBufferWriter<byte>(256 * 1024);
            for (long i = 0; i < perPartition; i += 500)
            {
                var n = Math.Min(500, perPartition - i);
                using var buffer = new MemoryStream();
                if (buffered)
                {
                    lines.ResetWrittenCount();
                    using var json = new Utf8JsonWriter(lines);
                    for (var j = i; j < i + n; j++)
                    {
                        json.Reset(lines);
                        WriteLine(json, node, p, j, size);
                        json.Flush();
                        lines.Write("\n"u8);
                    }
                    using var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true);
                    gzip.Write(lines.WrittenSpan);
                }
                else
                {
                    using var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true);
                    using var json = new Utf8JsonWriter(gzip);
                    for (var j = i; j < i + n; j++)
                    {
                        WriteLine(json, node, p, j, size);
                        json.Flush();
                        gzip.WriteByte((byte)'\n');
                        json.Reset();
                    }
                }
                using var content = new ByteArrayContent(buffer.ToArray());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                content.Headers.ContentEncoding.Add("gzip");
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
                request.Headers.Add("Idempotency-Key", $"{node}/{BenchRecords.Topic}/{p}/{i}-{i + n - 1}");
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
        }));
    }

    // The same JSON-lines shape the HTTP sink sends.
    private static void WriteLine(Utf8JsonWriter json, string node, int p, long j, int size)
    {
        json.WriteStartObject();
        json.WriteString("id", BenchRecords.Id(node, p, j));
        json.WriteString("topic", BenchRecords.Topic);
        json.WriteNumber("partition", p);
        json.WriteNumber("offset", j);
        json.WriteString("timestamp", DateTimeOffset.UtcNow);
        json.WriteNull("key");
        json.WriteBase64String("value", BenchRecords.Value(p, j, size));
        json.WriteStartArray("headers");
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
