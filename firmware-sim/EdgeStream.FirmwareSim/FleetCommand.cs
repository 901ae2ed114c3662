using System.CommandLine;
using System.Globalization;
using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim;

/// <summary>The <c>fleet</c> verb: N devices publishing telemetry, with optional random disconnects.</summary>
internal static class FleetCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "Broker host:port.", DefaultValueFactory = _ => BrokerAddress.Default };
        var devices = new Option<int>("--devices") { Description = "Number of devices.", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "Messages per second per device.", DefaultValueFactory = _ => 1 };
        var duration = new Option<double>("--duration") { Description = "Seconds to run.", DefaultValueFactory = _ => 30 };
        var count = new Option<long?>("--count") { Description = "Stop each device after this many messages (also bounded by --duration)." };
        var qos = new Option<int>("--qos") { Description = "QoS 0 or 1.", DefaultValueFactory = _ => 1 };
        var protocol = new Option<string>("--protocol") { Description = "MQTT version: 3 (3.1.1) or 5.", DefaultValueFactory = _ => "5" };
        protocol.AcceptOnlyFromAmong("3", "3.1.1", "5", "5.0");
        var payload = new Option<PayloadFormat>("--payload") { Description = "Payload encoding: json or binary.", DefaultValueFactory = _ => PayloadFormat.Json };
        var size = new Option<int>("--size") { Description = "Minimum payload size in bytes (readings are padded).", DefaultValueFactory = _ => 0 };
        var disconnectEvery = new Option<double?>("--disconnect-every") { Description = "Mean seconds between random disconnects of each device (off when omitted)." };
        var offlineFor = new Option<double>("--offline-for") { Description = "Seconds a disconnected device stays offline (buffering).", DefaultValueFactory = _ => 2 };
        var topic = new Option<string>("--topic") { Description = "Topic template; {device} is the device id.", DefaultValueFactory = _ => "devices/{device}/telemetry" };
        var seed = new Option<int>("--seed") { Description = "Seed for telemetry and disconnects.", DefaultValueFactory = _ => 1 };
        var command = new Command("fleet", "Simulate N MQTT devices publishing telemetry; buffered while offline, flushed in order on reconnect.")
        {
            broker, devices, rate, duration, count, qos, protocol, payload, size, disconnectEvery, offlineFor, topic, seed,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var (host, port) = BrokerAddress.Parse(parse.GetValue(broker)!);
            var options = new FleetOptions
            {
                Host = host,
                Port = port,
                Devices = parse.GetValue(devices),
                Rate = parse.GetValue(rate),
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                MessagesPerDevice = parse.GetValue(count),
                Qos = parse.GetValue(qos),
                Protocol = parse.GetValue(protocol)!.StartsWith('3') ? MqttProtocol.V311 : MqttProtocol.V500,
                Payload = parse.GetValue(payload),
                Size = parse.GetValue(size),
                DisconnectEvery = parse.GetValue(disconnectEvery) is { } d ? TimeSpan.FromSeconds(d) : null,
                OfflineFor = TimeSpan.FromSeconds(parse.GetValue(offlineFor)),
                TopicTemplate = parse.GetValue(topic)!,
                Seed = parse.GetValue(seed),
            };
            Console.WriteLine($"fleet: {options.Devices} devices → {host}:{port}, {options.Rate.ToString(CultureInfo.InvariantCulture)}/s each, " +
                    $"QoS {options.Qos}, MQTT {(options.Protocol == MqttProtocol.V500 ? "5" : "3.1.1")}, {options.Payload}, for {options.Duration?.TotalSeconds}s");
            var report = await Fleet.Fleet.RunAsync(options, ct);
            Print(report);
            return report.Published > 0 ? 0 : 1;
        }));
        return command;
    }

    private static void Print(FleetReport r)
    {
        var seconds = Math.Max(r.Elapsed.TotalSeconds, 1e-9);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {r.Generated}, published {r.Published} ({r.Published / seconds:F1} msg/s), flushed after reconnect {r.Flushed}, " +
            $"dropped {r.Dropped}, undelivered {r.Undelivered}, disconnects {r.Disconnects}, failed publishes {r.Failures}, elapsed {seconds:F1}s"));
    }
}
