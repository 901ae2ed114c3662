using System.CommandLine;
using System.Globalization;
using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim;

/// <summary>The <c>load</c> verb: acked QoS 1 throughput and ack latency percentiles.</summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "Broker host:port.", DefaultValueFactory = _ => BrokerAddress.Default };
        var devices = new Option<int>("--devices") { Description = "Concurrent connections.", DefaultValueFactory = _ => 100 };
        var inflight = new Option<int>("--inflight") { Description = "Unacknowledged publishes per connection.", DefaultValueFactory = _ => 16 };
        var duration = new Option<double>("--duration") { Description = "Seconds to publish.", DefaultValueFactory = _ => 10 };
        var size = new Option<int>("--size") { Description = "Payload size in bytes.", DefaultValueFactory = _ => 64 };
        var protocol = new Option<string>("--protocol") { Description = "MQTT version: 3 (3.1.1) or 5.", DefaultValueFactory = _ => "5" };
        protocol.AcceptOnlyFromAmong("3", "3.1.1", "5", "5.0");
        var command = new Command("load", "Publish QoS 1 as fast as acks allow; print acked msgs/s and ack latency p50/p99.")
        {
            broker, devices, inflight, duration, size, protocol,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var (host, port) = BrokerAddress.Parse(parse.GetValue(broker)!);
            var options = new LoadOptions
            {
                Host = host,
                Port = port,
                Devices = parse.GetValue(devices),
                InFlight = parse.GetValue(inflight),
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Size = parse.GetValue(size),
                Protocol = parse.GetValue(protocol)!.StartsWith('3') ? MqttProtocol.V311 : MqttProtocol.V500,
            };
            Console.WriteLine($"load: {options.Devices} connections × {options.InFlight} in flight → {host}:{port}, {options.Size} B, {options.Duration.TotalSeconds}s");
            var r = await LoadGenerator.RunAsync(options, ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"connected {r.Connected}/{r.Devices}, acked {r.Acked}, failed {r.Failed}, {r.AckedPerSecond:F0} acked msg/s, " +
                    $"ack latency p50 {r.P50.TotalMilliseconds:F2} ms, p99 {r.P99.TotalMilliseconds:F2} ms, max {r.Max.TotalMilliseconds:F2} ms"));
            return r.Acked > 0 ? 0 : 1;
        }));
        return command;
    }
}
