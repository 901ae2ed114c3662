using System.Diagnostics.Metrics;
using EdgeStream.Forwarding.Tests.Infrastructure;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Forwarding.Tests;

public sealed class HostingAndMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static IHost BuildHost(LogStore log, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(log);
        builder.Services.AddForwarding(builder.Configuration);
        builder.Services.AddKafkaSink().AddMqttSink().AddNatsSink().AddHttpSink();
        return builder.Build();
    }

    [Fact]
    public void AddForwarding_registers_no_sink_type_by_itself_and_each_Add_sink_call_registers_one_keyed_by_type()
    {
        var services = new ServiceCollection();
        services.AddForwarding(new ConfigurationBuilder().Build());
        using (var bare = services.BuildServiceProvider())
        {
            Assert.Empty(bare.GetServices<ISinkFactory>());
        }

        services.AddKafkaSink().AddNatsSink().AddKafkaSink();
        using var wired = services.BuildServiceProvider();
        Assert.Equal(["kafka", "nats"], wired.GetServices<ISinkFactory>().Select(f => f.Type).Order());
        Assert.Equal("kafka", wired.GetRequiredKeyedService<ISinkFactory>("kafka").Type);
        Assert.Equal("nats", wired.GetRequiredKeyedService<ISinkFactory>("nats").Type);
        Assert.Null(wired.GetKeyedService<ISinkFactory>("http"));
    }

    [Fact]
    public async Task AddForwarding_with_the_sink_registrations_binds_configuration_and_drains_in_the_host()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 2);
        await log.FillAsync("hosted", 2, 100);
        using var host = BuildHost(log.Store, new()
        {
            ["Forwarding:NodeId"] = "pi-7",
            ["Forwarding:TopicDiscoveryInterval"] = "00:00:00.200",
            ["Forwarding:Sinks:0:Name"] = "cloud",
            ["Forwarding:Sinks:0:Type"] = "http",
            ["Forwarding:Sinks:0:Topics:0"] = "host*",
            ["Forwarding:Sinks:0:Batch:MaxRecords"] = "40",
            ["Forwarding:Sinks:0:Settings:Url"] = receiver.Url,
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var engine = host.Services.GetRequiredService<ForwardingEngine>();
        await Poll.UntilAsync(() => receiver.Count == 200, Timeout, "drained through the hosted service");
        await host.StopAsync(TestContext.Current.CancellationToken);

        Delivered.AssertCompleteInOrder(receiver.Ids, "pi-7", "hosted", 2, 100);
        Assert.Equal(["http", "kafka", "mqtt", "nats"], host.Services.GetServices<ISinkFactory>().Select(f => f.Type).Order());
        Assert.Equal("cloud", Assert.Single(engine.GetStatus().Sinks).Name);
        Assert.Contains("pi-7/hosted/0/40-79", receiver.IdempotencyKeys);
    }

    [Fact]
    public async Task Invalid_configuration_fails_host_start_naming_the_key()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        using var host = BuildHost(log.Store, new()
        {
            ["Forwarding:Sinks:0:Name"] = "cloud",
            ["Forwarding:Sinks:0:Type"] = "kafka",
            ["Forwarding:Sinks:0:Settings:Compression"] = "lz4",
        });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Forwarding:Sinks:0:Settings:BootstrapServers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_bad_keys_are_both_reported_in_one_start_failure_each_naming_its_key()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        using var host = BuildHost(log.Store, new()
        {
            ["Forwarding:Sinks:0:Name"] = "cloud",
            ["Forwarding:Sinks:0:Type"] = "http",
            ["Forwarding:Sinks:0:Settings:Url"] = "http://127.0.0.1:1/x",
            ["Forwarding:Sinks:0:Batch:MaxRecords"] = "0",
            ["Forwarding:Sinks:0:Start"] = "yesterday-ish",
        });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.StartsWith("Forwarding:Sinks:0:Batch:MaxRecords", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Forwarding:Sinks:0:Start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_report_sent_records_lag_and_state_per_sink()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var log = await TestLog.OpenAsync(partitions: 2);
        await log.FillAsync("m", 2, 150);
        var sink = EngineRun.Sink("metrics-sink", "http", ("Url", receiver.Url));
        var paused = EngineRun.Sink("metrics-paused", "http", ("Url", receiver.Url));
        paused.Paused = true;

        var longs = new List<(string Name, long Value, Dictionary<string, object?> Tags)>();
        var ints = new List<(string Name, int Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "EdgeStream.Forwarding")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            lock (longs)
            {
                longs.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) =>
        {
            lock (ints)
            {
                ints.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();

        await using var run = EngineRun.Start(log.Store, sink, paused);
        await run.DrainedAsync("metrics-sink", 2, Timeout);
        await Poll.UntilAsync(() => run.Status("metrics-paused").Partitions.Count == 2, Timeout, "paused sink discovered partitions");
        listener.RecordObservableInstruments();

        List<(string Name, long Value, Dictionary<string, object?> Tags)> l;
        lock (longs)
        {
            l = longs.ToList();
        }
        bool Of(Dictionary<string, object?> tags, string s) => Equals(tags["sink"], s);
        Assert.Equal(300, l.Where(m => m.Name == "edgestream.forwarding.sent.records" && Of(m.Tags, "metrics-sink")).Sum(m => m.Value));
        Assert.All(l.Where(m => m.Name == "edgestream.forwarding.lag.records" && Of(m.Tags, "metrics-sink")), m => Assert.Equal(0, m.Value));
        var pausedLag = l.Where(m => m.Name == "edgestream.forwarding.lag.records" && Of(m.Tags, "metrics-paused")).ToList();
        Assert.Equal(2, pausedLag.Count);
        Assert.All(pausedLag, m => Assert.Equal(150, m.Value));
        Assert.All(l.Where(m => m.Name == "edgestream.forwarding.lag.bytes" && Of(m.Tags, "metrics-paused")), m => Assert.True(m.Value > 0));
        lock (ints)
        {
            Assert.Contains(ints, m => m.Name == "edgestream.forwarding.sink.state" && Of(m.Tags, "metrics-paused") && m.Value == (int)SinkState.Paused);
            Assert.Contains(ints, m => m.Name == "edgestream.forwarding.sink.state" && Of(m.Tags, "metrics-sink") && m.Value == (int)SinkState.Connected);
        }
    }
}
