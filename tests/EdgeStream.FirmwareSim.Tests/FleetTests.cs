using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Tests;

/// <summary>The fleet against a real Mosquitto, checked by what a subscriber receives.</summary>
[Trait("Category", "Slow")]
public sealed class FleetTests
{
    private static FleetOptions Options(int port, int devices, long messages, double rate = 50) => new()
    {
        Port = port,
        Devices = devices,
        Rate = rate,
        MessagesPerDevice = messages,
        Duration = TimeSpan.FromMinutes(1),
        ClientIdPrefix = "t" + Guid.NewGuid().ToString("N")[..6],
    };

    [Fact]
    public async Task Fleet_delivers_every_message_of_every_device_in_order_with_mqtt5_properties()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");
        var options = Options(broker.Port, devices: 4, messages: 25);

        var report = await Fleet.Fleet.RunAsync(options, CancellationToken.None);
        var received = await sub.WaitForAsync(100);

        Assert.Equal(100, report.Generated);
        Assert.Equal(100, report.Published);
        Assert.Equal(0, report.Undelivered);
        Assert.Equal(100, received.Count);
        foreach (var group in received.GroupBy(m => m.Topic))
        {
            var readings = group.Select(m => TelemetryCodec.Decode(m.Payload, PayloadFormat.Json)).ToList();
            Assert.Equal($"devices/{readings[0].Device}/telemetry", group.Key);
            Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), readings.Select(r => r.Sequence));
            Assert.All(group, m => Assert.Equal("application/json", m.ContentType));
            Assert.All(group.Zip(readings), p => Assert.Equal(p.Second.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), p.First.Properties["seq"]));
            Assert.All(group, m => Assert.Equal(SimulatedDevice.FirmwareVersion, m.Properties["fw"]));
            Assert.All(readings, r => Assert.InRange(r.Temperature, -10, 50));
        }
        Assert.Equal(4, received.Select(m => m.Topic).Distinct().Count());
    }

    [Fact]
    public async Task Fleet_over_mqtt_311_sends_binary_records_padded_to_the_size()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");
        var options = Options(broker.Port, devices: 3, messages: 10);
        options.Protocol = MqttProtocol.V311;
        options.Payload = PayloadFormat.Binary;
        options.Size = 96;
        options.Qos = 0;

        var report = await Fleet.Fleet.RunAsync(options, CancellationToken.None);
        var received = await sub.WaitForAsync(30);

        Assert.Equal(30, report.Published);
        // QoS 0 over loopback to a local broker: nothing is lost in practice, and order holds per connection.
        Assert.Equal(30, received.Count);
        Assert.All(received, m => Assert.Equal(96, m.Payload.Length));
        Assert.All(received, m => Assert.Empty(m.Properties));
        var perDevice = received.Select(m => TelemetryCodec.Decode(m.Payload, PayloadFormat.Binary)).GroupBy(r => r.Device).ToList();
        Assert.Equal(3, perDevice.Count);
        Assert.All(perDevice, g => Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), g.Select(r => r.Sequence)));
    }

    [Fact]
    public async Task Device_that_goes_offline_buffers_and_flushes_in_order_on_reconnect()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");
        await using var device = new SimulatedDevice(Options(broker.Port, devices: 1, messages: 100), 0);

        await device.ConnectAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await device.SampleAsync(CancellationToken.None);
        }
        await device.GoOfflineAsync(CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await device.SampleAsync(CancellationToken.None);
        }
        Assert.False(device.IsOnline);
        Assert.Equal(5, device.BufferedCount);
        Assert.Equal(3, device.Stats.Published);

        var flushed = await device.ReconnectAsync(CancellationToken.None);
        await device.SampleAsync(CancellationToken.None);
        var received = await sub.WaitForAsync(9);

        Assert.Equal(5, flushed);
        Assert.Equal(0, device.BufferedCount);
        Assert.Equal(new DeviceStats(device.Id, 9, 9, 5, 0, 0, 1, 0), device.Stats);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), received.Select(m => TelemetryCodec.Decode(m.Payload, PayloadFormat.Json).Sequence));
    }

    [Fact]
    public async Task Full_offline_buffer_drops_the_oldest_readings_and_keeps_the_rest_in_order()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");
        var options = Options(broker.Port, devices: 1, messages: 100);
        options.MaxBuffered = 3;
        await using var device = new SimulatedDevice(options, 0);

        await device.ConnectAsync(CancellationToken.None);
        await device.GoOfflineAsync(CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await device.SampleAsync(CancellationToken.None);
        }
        await device.ReconnectAsync(CancellationToken.None);
        var received = await sub.WaitForAsync(3);

        Assert.Equal(2, device.Stats.Dropped);
        Assert.Equal([2L, 3L, 4L], received.Select(m => TelemetryCodec.Decode(m.Payload, PayloadFormat.Json).Sequence));
    }

    [Fact]
    public async Task Random_disconnects_are_bounded_and_lose_nothing_at_qos1()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var sub = await Subscriber.StartAsync(broker.Port, "devices/#");
        var options = Options(broker.Port, devices: 3, messages: 40, rate: 40);
        options.DisconnectEvery = TimeSpan.FromMilliseconds(150);
        options.OfflineFor = TimeSpan.FromMilliseconds(100);
        options.MaxDisconnectsPerDevice = 2;

        var report = await Fleet.Fleet.RunAsync(options, CancellationToken.None);
        var received = await sub.WaitForAsync(120);

        Assert.InRange(report.Disconnects, 1, 6);
        Assert.All(report.Devices, d => Assert.InRange(d.Disconnects, 0, 2));
        Assert.True(report.Flushed > 0, "no reading was buffered across a disconnect");
        Assert.Equal(120, report.Published);
        Assert.Equal(120, received.Count);
        foreach (var device in received.Select(m => TelemetryCodec.Decode(m.Payload, PayloadFormat.Json)).GroupBy(r => r.Device))
        {
            Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), device.Select(r => r.Sequence));
        }
    }

    [Fact]
    public async Task Fleet_without_a_broker_buffers_everything_and_reports_it_undelivered()
    {
        var options = Options(Ports.Free(), devices: 2, messages: 5);
        options.Timeout = TimeSpan.FromSeconds(2);

        var report = await Fleet.Fleet.RunAsync(options, CancellationToken.None);

        Assert.Equal(10, report.Generated);
        Assert.Equal(0, report.Published);
        Assert.Equal(10, report.Undelivered);
        Assert.True(report.Failures > 0);
    }

    [Fact]
    public async Task Cancelling_a_fleet_ends_it_early_and_still_reports()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker.Port, devices: 2, messages: 1_000_000, rate: 20);
        using var cts = new CancellationTokenSource();
        var run = Fleet.Fleet.RunAsync(options, cts.Token);

        await cts.CancelAsync();
        var report = await run;

        Assert.Equal(2, report.Devices.Count);
        Assert.True(report.Generated < 2_000_000);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Options_reject_settings_that_would_not_work(int qosOrUnbounded)
    {
        var options = new FleetOptions { Qos = qosOrUnbounded == 3 ? 3 : 1, Duration = qosOrUnbounded == 0 ? null : TimeSpan.FromSeconds(1) };

        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(qosOrUnbounded == 3 ? "Qos" : "Duration or MessagesPerDevice", e.Message, StringComparison.Ordinal);
    }
}
