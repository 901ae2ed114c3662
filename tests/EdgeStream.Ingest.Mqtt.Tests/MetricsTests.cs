using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Ingest.Mqtt.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Received_acked_rejected_and_ack_latency_are_measured()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxTopicLength = 8);
        var totals = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, broker.Metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Add(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = i.Name;
            foreach (var t in tags)
            {
                if (t.Key == "reason")
                {
                    key += ":" + t.Value;
                }
            }
            totals.AddOrUpdate(key, i is Histogram<double> ? 1 : v, (_, old) => old + (i is Histogram<double> ? 1 : v));
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        listener.Start();

        using var client = await broker.ConnectAsync("m1");
        var ok = new MqttApplicationMessageBuilder().WithTopic("short").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var bad = new MqttApplicationMessageBuilder().WithTopic("much/too/long").WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        Assert.True((await client.PublishAsync(ok, ct)).IsSuccess);
        Assert.True((await client.PublishAsync(ok, ct)).IsSuccess);
        Assert.False((await client.PublishAsync(bad, ct)).IsSuccess);

        Assert.Equal(3, totals["edgestream.mqtt.messages.received"]);
        Assert.Equal(2, totals["edgestream.mqtt.messages.acked"]);
        Assert.Equal(2, totals["edgestream.mqtt.ack.latency"]);
        Assert.Equal(1, totals["edgestream.mqtt.messages.rejected:topic-too-long"]);
    }
}
