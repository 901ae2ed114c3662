using Confluent.Kafka;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Sinks.Kafka;

namespace EdgeStream.Forwarding.Tests;

/// <summary>The Kafka sink's reading of librdkafka's own statistics JSON, taken from a producer on the mock cluster.</summary>
[Trait("Category", "Slow")]
public sealed class KafkaBrokerStatesTests
{
    [Fact]
    public async Task Statistics_show_a_broker_connected_and_then_none_while_attempts_go_on_once_every_broker_is_down()
    {
        using var kafka = new KafkaMockCluster();
        var samples = new System.Collections.Concurrent.ConcurrentQueue<KafkaBrokerStates.Sample?>();
        var config = new ProducerConfig { BootstrapServers = kafka.BootstrapServers, StatisticsIntervalMs = 200 };
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, _) => { })
            .SetStatisticsHandler((_, json) => samples.Enqueue(KafkaBrokerStates.Read(json)))
            .Build();
        await producer.ProduceAsync("t", new Message<byte[]?, byte[]> { Value = [1] }, TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => samples.LastOrDefault() is { AnyUp: true }, TimeSpan.FromSeconds(30), "a sample with a broker up");

        foreach (var b in kafka.BrokerIds)
        {
            kafka.SetBrokerDown(b);
        }
        samples.Clear();
        try
        {
            await Poll.UntilAsync(
                // What the sink acts on: two samples in a row without a broker up, with attempts made between them.
                () => samples.ToArray() is var all && all.Zip(all.Skip(1)).Any(p => p is ({ AnyUp: false } a, { AnyUp: false } b) && b.Connects > a.Connects),
                TimeSpan.FromSeconds(30),
                "samples with no broker up and more connection attempts");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + ": " + string.Join(" ", samples), e);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("""{"name":"p","brokers":{}}""")]
    [InlineData("""{"name":"p","brokers":{":0/internal":{"source":"internal","state":"UP","connects":0}}}""")]
    public void Statistics_without_a_real_broker_say_nothing(string json) => Assert.Null(KafkaBrokerStates.Read(json));
}
