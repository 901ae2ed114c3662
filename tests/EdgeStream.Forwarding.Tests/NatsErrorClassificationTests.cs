using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EdgeStream.Forwarding.Tests;

/// <summary>Debian nats-server: max_payload, authorization and header names the server refuses.</summary>
[Trait("Category", "Slow")]
public sealed class NatsErrorClassificationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static SinkOptions Sink(string url, params (string, string)[] more)
    {
        var sink = EngineRun.Sink("nats1", "nats", [("Url", url), ("SubjectTemplate", "edge.{topic}"), ("Stream", "EDGE"), ("CreateStream", "true"), ("AckTimeoutMs", "2000"), .. more]);
        sink.Topics.Add("t");
        return sink;
    }

    [Fact]
    public async Task A_record_over_the_servers_max_payload_is_dead_lettered_and_the_rest_is_delivered()
    {
        await using var nats = await NatsServers.StartSingleAsync("max_payload: 2048\n");
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("t");
        var records = Enumerable.Range(0, 20).Select(i => new LogRecord(Encoding.UTF8.GetBytes(i == 3 ? new string('x', 5000) : $"ok {i}"))).ToList();
        await log.Store.AppendBatchAsync("t", 0, records, TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        await using (var run = EngineRun.Start(log.Store, Sink(nats.Url)))
        {
            await run.DrainedAsync("nats1", 1, Timeout);
            Assert.Equal(19, run.Status("nats1").SentRecords);
        }

        var dlq = log.Store.Read("t.dlq", 0, 0, ReadLimits.Default);
        var dead = Assert.Single(dlq.Records);
        Assert.Equal(5000, dead.Value.Length);
        Assert.Contains("max payload", Encoding.UTF8.GetString(dead.GetHeader("edgestream.dlq.reason")!.Value.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_mark_the_nats_sink_rejected_and_dead_letter_nothing()
    {
        await using var nats = await NatsServers.StartSingleAsync("authorization { user: edge, password: right }\n");
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("t", 1, 10);

        await using var run = EngineRun.Start(log.Store, Sink(nats.Url, ("Username", "edge"), ("Password", "wrong")));
        await Poll.UntilAsync(() => run.Status("nats1").State == SinkState.Rejected, Timeout, "sink rejected");

        Assert.Equal(10, run.Status("nats1").Partitions[0].LagRecords);
        Assert.Null(log.Store.GetTopic("t.dlq"));
    }

    [Fact]
    public async Task Header_names_nats_refuses_are_sent_encoded_and_decode_to_the_original()
    {
        await using var nats = await NatsServers.StartSingleAsync();
        await using var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic("t");
        byte[] binary = [0x00, 0x0d, 0x0a, 0xff];
        var record = new LogRecord(Encoding.UTF8.GetBytes("v"), headers:
        [
            new RecordHeader("unit", Encoding.UTF8.GetBytes("C")),
            new RecordHeader("bad name:x", Encoding.UTF8.GetBytes("y")),
            new RecordHeader("sig", binary),
        ]);
        await log.Store.AppendBatchAsync("t", 0, [record], TestContext.Current.CancellationToken);
        await log.Store.FlushAsync(TestContext.Current.CancellationToken);

        await using (var run = EngineRun.Start(log.Store, Sink(nats.Url)))
        {
            await run.DrainedAsync("nats1", 1, Timeout);
        }

        await using var client = new NatsConnection(NatsOpts.Default with { Url = nats.Url });
        var js = new NatsJSContext(client);
        var msg = await js.GetStreamAsync("EDGE", cancellationToken: TestContext.Current.CancellationToken);
        var stored = await msg.GetAsync(new NATS.Client.JetStream.Models.StreamMsgGetRequest { Seq = 1 }, TestContext.Current.CancellationToken);
        var headers = ParseHeaders(Convert.FromBase64String(stored.Message.Hdrs!));
        var decoded = headers.Select(h => EdgeStream.Sinks.Nats.NatsHeaderCodec.Decode(h.Key, h.Value)).ToDictionary(h => h.Name, h => h.Value);
        Assert.Equal("C", Encoding.UTF8.GetString(decoded["unit"]));
        Assert.Equal("y", Encoding.UTF8.GetString(decoded["bad name:x"]));
        Assert.Equal(binary, decoded["sig"]);
    }

    // NATS/1.0 header block: "NATS/1.0\r\nName: value\r\n...\r\n\r\n".
    private static List<KeyValuePair<string, string>> ParseHeaders(byte[] block)
        => [.. Encoding.UTF8.GetString(block).Split("\r\n").Skip(1).Where(l => l.Length > 0)
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':', StringComparison.Ordinal)], l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))];
}
