using System.Diagnostics.Metrics;
using EdgeStream.Http.Metrics;
using EdgeStream.Http.Tests.Infrastructure;

namespace EdgeStream.Http.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_after_appends_show_the_log_counters_in_prometheus_text()
    {
        await using var server = await AdminServer.StartAsync();
        // Tests run in parallel and every log in the process feeds the same meter name: look at our topic only.
        var topic = "metrics-" + Guid.NewGuid().ToString("N");
        await server.AppendAsync(topic, 5);

        using var response = await server.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("# TYPE edgestream_log_appended_records_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgestream_log_appended_records_total{{topic=\"{topic}\"}} 5\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgestream_log_topic_bytes{{topic=\"{topic}\"}} ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Exporter_writes_counters_gauges_and_histograms_of_edgestream_meters_only()
    {
        using var exporter = new PrometheusExporter();
        using var meter = new Meter("EdgeStream.ExporterTest");
        using var foreign = new Meter("Someone.Else");
        var counter = meter.CreateCounter<long>("edgestream.test.sent", "{record}", "Records sent.");
        var histogram = meter.CreateHistogram<double>("edgestream.test.latency", "ms", "Latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        meter.CreateObservableGauge("edgestream.test.lag", () => new Measurement<long>(7, new KeyValuePair<string, object?>("sink", "k\"1")));
        foreign.CreateCounter<long>("foreign.counter").Add(1);

        counter.Add(2, new KeyValuePair<string, object?>("topic", "a"), new KeyValuePair<string, object?>("partition", 0));
        counter.Add(3, new KeyValuePair<string, object?>("partition", 0), new KeyValuePair<string, object?>("topic", "a"));
        counter.Add(4, new KeyValuePair<string, object?>("topic", "b"), new KeyValuePair<string, object?>("partition", 0));
        histogram.Record(0.5);
        histogram.Record(5);
        histogram.Record(50);

        var text = exporter.Scrape();

        Assert.Contains("# HELP edgestream_test_sent_total Records sent.\n# TYPE edgestream_test_sent_total counter\n"
            + "edgestream_test_sent_total{partition=\"0\",topic=\"a\"} 5\n"
            + "edgestream_test_sent_total{partition=\"0\",topic=\"b\"} 4\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edgestream_test_lag gauge\nedgestream_test_lag{sink=\"k\\\"1\"} 7\n", text, StringComparison.Ordinal);
        // Milliseconds are exported in the base unit, seconds, buckets included.
        Assert.Contains("# TYPE edgestream_test_latency_seconds histogram\n"
            + "edgestream_test_latency_seconds_bucket{le=\"0.001\"} 1\n"
            + "edgestream_test_latency_seconds_bucket{le=\"0.01\"} 2\n"
            + "edgestream_test_latency_seconds_bucket{le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("edgestream_test_latency_seconds_count 3\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("foreign", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_and_histograms_measured_from_many_threads_at_once_lose_no_measurement()
    {
        using var exporter = new PrometheusExporter();
        using var meter = new Meter("EdgeStream.ExporterTest");
        var counter = meter.CreateCounter<long>("edgestream.test.concurrent", "{record}", "Records.");
        var histogram = meter.CreateHistogram<long>("edgestream.test.concurrent.size", "By", "Sizes.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [10] });
        // Every thread adds to one shared series (the most contention), and to more other tag sets than the family
        // remembers, so threads also race to create series and evict each other's.
        const int tagSets = 12, threads = 8, addsPerThread = 60_000;
        var shared = new KeyValuePair<string, object?>("source", "shared");
        using var start = new Barrier(threads);
        var adders = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < addsPerThread; i++)
            {
                counter.Add(1, shared);
                histogram.Record(i % 2 == 0 ? 1 : 100);
                counter.Add(1, new KeyValuePair<string, object?>("source", "s" + ((i + t) % tagSets)));
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(adders);

        var text = exporter.Scrape();

        Assert.Contains($"edgestream_test_concurrent_total{{source=\"shared\"}} {threads * addsPerThread}\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgestream_test_concurrent_size_bytes_bucket{{le=\"10\"}} {threads * addsPerThread / 2}\n"
            + $"edgestream_test_concurrent_size_bytes_bucket{{le=\"+Inf\"}} {threads * addsPerThread}\n"
            + $"edgestream_test_concurrent_size_bytes_sum {threads * addsPerThread / 2 * 101}\n"
            + $"edgestream_test_concurrent_size_bytes_count {threads * addsPerThread}\n", text, StringComparison.Ordinal);
        for (var s = 0; s < tagSets; s++)
        {
            Assert.Contains($"edgestream_test_concurrent_total{{source=\"s{s}\"}} {threads * addsPerThread / tagSets}\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_gauge_whose_callback_throws_leaves_the_rest_of_the_scrape_intact()
    {
        using var exporter = new PrometheusExporter();
        using var meter = new Meter("EdgeStream.ThrowTest");
        meter.CreateObservableGauge<long>("edgestream.throwtest.broken", new Func<long>(() => throw new ObjectDisposedException("store")), "{item}", "Broken.");
        meter.CreateObservableGauge<long>("edgestream.throwtest.fine", () => 7, "{item}", "Fine.");

        var text = exporter.Scrape();

        Assert.Contains("edgestream_throwtest_fine 7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Instruments_not_yet_measured_are_exported_at_zero_with_units_as_suffixes()
    {
        using var exporter = new PrometheusExporter();
        using var meter = new Meter("EdgeStream.ZeroTest");
        meter.CreateCounter<long>("edgestream.zerotest.sent.bytes", "By", "Bytes sent.");
        meter.CreateHistogram<double>("edgestream.zerotest.wait", "ms", "Wait.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1000] });
        meter.CreateUpDownCounter<int>("edgestream.zerotest.inflight", "{request}", "In flight.");

        var text = exporter.Scrape();

        Assert.Contains("# TYPE edgestream_zerotest_sent_bytes_total counter\nedgestream_zerotest_sent_bytes_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("edgestream_zerotest_wait_seconds_bucket{le=\"1\"} 0\nedgestream_zerotest_wait_seconds_bucket{le=\"+Inf\"} 0\n"
            + "edgestream_zerotest_wait_seconds_sum 0\nedgestream_zerotest_wait_seconds_count 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edgestream_zerotest_inflight gauge\nedgestream_zerotest_inflight 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_version_splits_the_informational_version_at_the_commit()
    {
        var (version, commit) = ProcessMetrics.BuildVersion(typeof(PrometheusExporter).Assembly);
        Assert.False(string.IsNullOrEmpty(version));
        Assert.DoesNotContain('+', version);
        Assert.False(string.IsNullOrEmpty(commit));
    }
}
