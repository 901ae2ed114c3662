using System.Text;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Sinks.Kafka;

namespace EdgeStream.Forwarding.Tests;

/// <summary>A sink whose client cannot be created (librdkafka refusing its settings) is one failed part, not a failed box.</summary>
[Trait("Category", "Slow")]
public sealed class SinkCreationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_kafka_sink_whose_client_cannot_be_created_shows_as_rejected_with_the_reason_while_the_other_sinks_forward()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("sensors", 4, 50);

        var broken = EngineRun.Sink("kafka-tls", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        broken.Client["security.protocol"] = "ssl";
        broken.Client["ssl.ca.location"] = "/nonexistent/edgestream-ca.pem";
        var working = EngineRun.Sink("kafka-plain", "kafka", ("BootstrapServers", kafka.BootstrapServers));
        await using var run = EngineRun.Start(log.Store, broken, working);

        await run.DrainedAsync("kafka-plain", 4, Timeout);
        var status = run.Status("kafka-tls");
        Assert.Equal(SinkState.Rejected, status.State);
        Assert.Contains("ssl.ca.location", status.LastError, StringComparison.Ordinal);
        Assert.Equal(0, status.SentRecords);
        run.ThrowIfFailed();
    }

    [Fact]
    public async Task A_sink_created_on_a_later_attempt_delivers_everything_stored_meanwhile()
    {
        using var kafka = new KafkaMockCluster();
        await using var log = await TestLog.OpenAsync();
        await log.FillAsync("sensors", 2, 300);

        var factory = new FailingAtFirst(failures: 3);
        var options = new ForwardingOptions { NodeId = "node1", TopicDiscoveryInterval = TimeSpan.FromMilliseconds(200) };
        options.Sinks.Add(EngineRun.Sink("kafka1", "kafka", ("BootstrapServers", kafka.BootstrapServers)));
        await using var engine = new ForwardingEngine(log.Store, options, [factory]);
        Assert.Equal(SinkState.Rejected, engine.GetStatus().Sinks[0].State);
        using var cts = new CancellationTokenSource();
        var running = engine.RunAsync(cts.Token);

        await Poll.UntilAsync(() => engine.GetStatus().Sinks[0].SentRecords == 600, Timeout, "every record sent once the client exists");
        Assert.Equal(SinkState.Connected, engine.GetStatus().Sinks[0].State);
        Assert.True(factory.Attempts > 3, $"{factory.Attempts} attempts");
        await cts.CancelAsync();
        await running;

        var got = kafka.ConsumeAll("sensors", all => all.Count >= 600, Timeout);
        Delivered.AssertCompleteInOrder(got.Select(r => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("edgestream-id"))), "node1", "sensors", 2, 300);
    }

    /// <summary>The real Kafka sink, whose creation fails the first times as if its CA file had not been provisioned yet.</summary>
    private sealed class FailingAtFirst(int failures) : ISinkFactory
    {
        private readonly KafkaSinkFactory _kafka = new();
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public string Type => _kafka.Type;

        public void Validate(SinkOptions options, string path) => _kafka.Validate(options, path);

        public ISink Create(SinkContext context)
            => Interlocked.Increment(ref _attempts) <= failures
                ? throw new InvalidOperationException("ssl.ca.location failed: No such file or directory")
                : _kafka.Create(context);
    }
}
