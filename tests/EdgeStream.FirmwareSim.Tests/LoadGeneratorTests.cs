using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Tests;

/// <summary>The load mode against a real Mosquitto.</summary>
[Trait("Category", "Slow")]
public sealed class LoadGeneratorTests
{
    [Fact]
    public async Task Load_with_a_message_bound_acks_exactly_that_many_and_the_subscriber_gets_them()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "load/#");
        var options = new LoadOptions { Port = broker.Port, Devices = 3, InFlight = 4, MessagesPerDevice = 50, Duration = TimeSpan.FromMinutes(1), Size = 48 };

        var report = await LoadGenerator.RunAsync(options, CancellationToken.None);
        var received = await sub.WaitForAsync(150);

        Assert.Equal(3, report.Connected);
        Assert.Equal(150, report.Acked);
        Assert.Equal(0, report.Failed);
        Assert.Equal(150, received.Count);
        Assert.All(received, m => Assert.Equal(48, m.Payload.Length));
        Assert.Equal(50, received.Count(m => m.Topic == "load/load-0001"));
    }

    [Fact]
    public async Task Load_for_a_duration_reports_consistent_rate_and_percentiles()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = new LoadOptions { Port = broker.Port, Devices = 4, InFlight = 8, Duration = TimeSpan.FromSeconds(1), Protocol = MqttProtocol.V311 };

        var report = await LoadGenerator.RunAsync(options, CancellationToken.None);

        Assert.Equal(4, report.Connected);
        Assert.True(report.Acked > 0);
        Assert.Equal(0, report.Failed);
        Assert.True(report.P50 > TimeSpan.Zero);
        Assert.True(report.P50 <= report.P99 && report.P99 <= report.Max, $"p50 {report.P50}, p99 {report.P99}, max {report.Max}");
        Assert.Equal(report.Acked / report.Elapsed.TotalSeconds, report.AckedPerSecond, 6);
    }

    [Fact]
    public async Task Load_against_no_broker_connects_nothing_and_acks_nothing()
    {
        var options = new LoadOptions { Port = Ports.Free(), Devices = 2, Duration = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(2) };

        var report = await LoadGenerator.RunAsync(options, CancellationToken.None);

        Assert.Equal(0, report.Connected);
        Assert.Equal(0, report.Acked);
        Assert.Equal(TimeSpan.Zero, report.P99);
    }
}
