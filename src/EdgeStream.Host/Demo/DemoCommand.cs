using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeStream.FirmwareSim.Fleet;
using EdgeStream.Host.Run;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeStream.Host.Demo;

/// <summary>
/// <c>edgestream demo</c>: the whole product on one machine with nothing else installed. Runs the real service on a
/// data directory (temporary unless <c>--data</c>), with simulated MQTT devices publishing to its broker, every
/// simulated sensor, and an HTTP sink draining to an in-process receiver, printing the flow until Ctrl+C or
/// <c>--duration</c>.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Keep the demo's log here (default: a temporary directory, deleted after)." };
        var duration = new Option<int?>("--duration") { Description = "Stop after this many seconds (default: run until Ctrl+C)." };
        var devices = new Option<int>("--devices") { Description = "Simulated MQTT devices.", DefaultValueFactory = _ => 20 };
        var command = new Command("demo", "Run EdgeStream with simulated devices, sensors and an upstream, and show records flowing in and out.")
        {
            data, duration, devices,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(data), parse.GetValue(duration), parse.GetValue(devices), parse.InvocationConfiguration.Output, ct));
        return command;
    }

    private static async Task<int> RunAsync(string? data, int? seconds, int devices, TextWriter output, CancellationToken cancellationToken)
    {
        var temporary = data is null;
        var directory = Path.GetFullPath(data ?? Path.Combine(Path.GetTempPath(), "edgestream-demo-" + Guid.NewGuid().ToString("N")[..8]));
        await using var upstream = await DemoUpstream.StartAsync(cancellationToken);
        var mqttPort = PortOrFree(1883);
        var httpPort = PortOrFree(8080);
        var builder = RunHost.CreateBuilder(new RunArguments(null, null, null, null, [], []), null)!;
        await using (var sensors = typeof(DemoCommand).Assembly.GetManifestResourceStream("simulated-sensors.json")!)
        {
            builder.Configuration.AddJsonStream(sensors);
        }
        // The example rules aggregate the sensors per minute (agg.air.1m) and raise alerts; the HTTP sink forwards
        // every topic, so the upstream receives the aggregates too.
        await using (var rules = typeof(DemoCommand).Assembly.GetManifestResourceStream("rules.json")!)
        {
            builder.Configuration.AddJsonStream(rules);
        }
        builder.Configuration.AddInMemoryCollection(Settings(directory, mqttPort, httpPort, upstream.Url));

        var exit = await RunHost.RunAsync(builder, (host, store, ct) => ShowAsync(host, store, upstream, mqttPort, httpPort, devices, seconds, directory, output, ct), cancellationToken);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Demo stopped. Upstream received {upstream.Received} records ({upstream.Distinct} distinct ids)."));
        if (temporary)
        {
            Directory.Delete(directory, recursive: true);
        }
        else
        {
            await output.WriteLineAsync($"The log stays in {directory}: edgestream log dump telemetry --data {directory} --format jsonl");
        }
        return exit;
    }

    private static async Task ShowAsync(IHost host, LogStore store, DemoUpstream upstream, int mqttPort, int httpPort, int devices,
        int? seconds, string directory, TextWriter output, CancellationToken cancellationToken)
    {
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        await output.WriteLineAsync($"""

            EdgeStream demo is running (data: {directory})
              status page   http://127.0.0.1:{httpPort}/
              MQTT broker   127.0.0.1:{mqttPort}   ({devices} simulated devices publish devices/<id>/telemetry)
              follow        edgestream log tail telemetry --url http://127.0.0.1:{httpPort}
              pull API      curl 'http://127.0.0.1:{httpPort}/api/v1/topics/sensors/partitions/0/records?offset=0&maxBytes=2048'
              upstream      {upstream.Url}  (HTTP sink, gzip JSON lines)
            {(seconds is null ? "Press Ctrl+C to stop." : $"Stopping after {seconds} s.")}

            """);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, cancellationToken);
        if (seconds is { } s)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(s));
        }
        var fleet = Fleet.RunAsync(new FleetOptions
        {
            Port = mqttPort,
            Devices = devices,
            Rate = 2,
            Duration = TimeSpan.FromSeconds(seconds ?? 86_400),
            TopicTemplate = "devices/{device}/telemetry",
            ClientIdPrefix = "demo",
        }, stop.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                var topics = store.GetTopics().Where(t => !t.Name.EndsWith(".dlq", StringComparison.Ordinal)).ToList();
                var stored = topics.Sum(t => t.Partitions.Sum(p => p.NextOffset));
                var perTopic = string.Join(", ", topics.Select(t => $"{t.Name} {t.Partitions.Sum(p => p.NextOffset)}"));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  stored {stored,7} ({perTopic})   delivered upstream {upstream.Distinct,7}   lag {stored - upstream.Distinct,6}"));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await fleet;
        lifetime.StopApplication();
    }

    private static Dictionary<string, string?> Settings(string directory, int mqttPort, int httpPort, string upstreamUrl) => new()
    {
        // The demo prints the flow itself; the service's own log lines would bury it.
        ["Logging:LogLevel:Default"] = "Warning",
        ["Log:DataDirectory"] = directory,
        ["Log:CommitPolicy"] = "group",
        ["Log:Topics:telemetry:Partitions"] = "2",
        ["Mqtt:Port"] = mqttPort.ToString(CultureInfo.InvariantCulture),
        ["Mqtt:Routes:0:Filter"] = "devices/+/telemetry",
        ["Mqtt:Routes:0:Topic"] = "telemetry",
        ["Mqtt:Routes:0:Key"] = "{1}",
        ["Http:Port"] = httpPort.ToString(CultureInfo.InvariantCulture),
        ["Forwarding:NodeId"] = "demo",
        ["Forwarding:Sinks:0:Name"] = "demo-upstream",
        ["Forwarding:Sinks:0:Type"] = "http",
        ["Forwarding:Sinks:0:Settings:Url"] = upstreamUrl,
    };

    /// <summary>The usual port when it is free (a fresh machine), else one the system picks, so the demo always starts.</summary>
    private static int PortOrFree(int preferred)
    {
        foreach (var port in new[] { preferred, 0 })
        {
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No free loopback port.");
    }
}
