// MQTT ingest benchmark: EdgeStream's embedded broker with durable acks (group commit) against a Mosquitto baseline
// (in memory, no durability), same load, same run. Usage:
//   dotnet run -c Release --project bench/EdgeStream.Bench.Mqtt -- [--seconds 10] [--window 16] [--connections 10,100] [--qos 1,0] [--diagnose]
// --qos 0 adds the QoS 0 case (stored, not acknowledged): publishers push QoS 0 for the duration, then one QoS 1 publish
// per connection as a barrier; the rate counts QoS 0 messages up to the last barrier's PUBACK (see LoadGenerator).
// --diagnose adds EdgeStream's broker with a log that stores nothing, to separate broker cost from log cost.
// --broker-env NAME=VALUE[,NAME=VALUE] adds EdgeStream's broker with those environment variables (a runtime setting to
// compare, e.g. DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0) beside the plain one, same case, same run.
// --client wire (default) writes MQTT 5 packets on plain sockets (WireLoadGenerator), so the client costs little CPU and
// the brokers decide the rate; --client mqttnet uses MQTTnet's client, as figures before issue 13's seventh pass did.
// The EdgeStream broker runs in a child process (this program with "serve") so its RSS is measured alone.
// --hostile [--attackers 100] [--stream-mib 2] [--seconds 10]: the unauthenticated 256 MiB CONNECT attack instead
// (RSS before/after, EdgeStream beside Mosquitto).
// --qos2-recovery [--records 100000]: what the QoS 2 lookup after a restart costs (start, index build, lookups).
using System.Globalization;
using EdgeStream.Bench.Mqtt;

if (args.Length > 0 && args[0] == "serve")
{
    return await BrokerServer.ServeAsync(args);
}

var seconds = IntArg(args, "--seconds", 10);
if (args.Contains("--hostile"))
{
    return await HostileBench.RunAsync(IntArg(args, "--attackers", 100), IntArg(args, "--stream-mib", 2), seconds);
}
if (args.Contains("--qos2-recovery"))
{
    return await Qos2RecoveryBench.RunAsync(IntArg(args, "--records", 100_000));
}
var window = IntArg(args, "--window", 16);
var connections = (StringArg(args, "--connections") ?? "10,100").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var payload = 64;
var diagnose = args.Contains("--diagnose");
var brokerEnv = StringArg(args, "--broker-env") is { } env
    ? env.Split(',').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal)
    : null;
var shipped = StringArg(args, "--shipped");
var client = StringArg(args, "--client") ?? "wire";
if (client is not ("wire" or "mqttnet"))
{
    Console.Error.WriteLine("--client: wire or mqttnet");
    return 2;
}
var qosLevels = (StringArg(args, "--qos") ?? "1,0").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
if (args.Contains("--help"))
{
    Console.WriteLine("Usage: EdgeStream.Bench.Mqtt [--seconds 10] [--window 16] [--connections 10,100] [--qos 1,0] [--diagnose] [--broker-env NAME=VALUE[,...]] [--shipped PATH[,PATH]] [--client wire|mqttnet] | --hostile [--attackers 100] [--stream-mib 2]");
    return 0;
}

Console.WriteLine($"MQTT ingest benchmark: {payload}-byte publishes (QoS {string.Join(" and ", qosLevels)}), {window} in flight per connection, {seconds} s per case, {Environment.ProcessorCount} CPUs, {client} client");
var rows = new List<string[]>();
var notes = new List<string>();
foreach (var qos in qosLevels)
{
    foreach (var n in connections)
    {
        Task<LoadResult> Load(int port) => (qos, client) switch
        {
            (0, "wire") => WireLoadGenerator.RunQos0Async(port, n, window, payload, TimeSpan.FromSeconds(seconds)),
            (0, _) => LoadGenerator.RunQos0Async(port, n, window, payload, TimeSpan.FromSeconds(seconds)),
            (_, "wire") => WireLoadGenerator.RunAsync(port, n, window, payload, TimeSpan.FromSeconds(seconds)),
            _ => LoadGenerator.RunAsync(port, n, window, payload, TimeSpan.FromSeconds(seconds)),
        };
        var edge = await ChildBroker.StartEdgeStreamAsync();
        await using (edge)
        {
            var r = await Load(edge.Port);
            rows.Add(Row($"EdgeStream (durable, group commit)", qos, n, r, edge.RssMiB()));
        }
        notes.Add($"EdgeStream, QoS {qos}, {n} connections, log: {edge.Stats?.Replace("STATS ", "", StringComparison.Ordinal)}");
        var edgeRate = rows[^1][3];
        if (diagnose)
        {
            await using var bare = await ChildBroker.StartEdgeStreamAsync(withoutLog: true);
            var r = await Load(bare.Port);
            rows.Add(Row("EdgeStream broker, no log (diagnostic)", qos, n, r, bare.RssMiB()));
        }
        string? variantRate = null;
        if (brokerEnv is not null)
        {
            await using var variant = await ChildBroker.StartEdgeStreamAsync(environment: brokerEnv);
            var r = await Load(variant.Port);
            rows.Add(Row("EdgeStream with " + string.Join(",", brokerEnv.Select(kv => $"{kv.Key}={kv.Value}")), qos, n, r, variant.RssMiB()));
            variantRate = rows[^1][3];
        }
        var shippedRates = new List<(string Name, string Rate)>();
        foreach (var build in shipped?.Split(',') ?? [])
        {
            await using var broker = await ChildBroker.StartShippedAsync(build);
            var r = await Load(broker.Port);
            var name = shipped!.Contains(',', StringComparison.Ordinal) ? $"EdgeStream shipped build ({build})" : "EdgeStream shipped build (edgestream run)";
            rows.Add(Row(name, qos, n, r, broker.RssMiB()));
            shippedRates.Add((name, rows[^1][3]));
        }
        await using (var mosquitto = await ChildBroker.StartMosquittoAsync())
        {
            var r = await Load(mosquitto.Port);
            rows.Add(Row("Mosquitto (memory, baseline)", qos, n, r, mosquitto.RssMiB()));
        }
        // Side by side: EdgeStream's rate over Mosquitto's, same case, same run.
        var mosquittoRate = Math.Max(1, double.Parse(rows[^1][3], CultureInfo.InvariantCulture));
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"QoS {qos}, {n} connections: EdgeStream / Mosquitto = {double.Parse(edgeRate, CultureInfo.InvariantCulture) / mosquittoRate:F2}x"));
        if (variantRate is not null)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"QoS {qos}, {n} connections: EdgeStream with the variables / Mosquitto = {double.Parse(variantRate, CultureInfo.InvariantCulture) / mosquittoRate:F2}x"));
        }
        foreach (var (name, rate) in shippedRates)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"QoS {qos}, {n} connections: {name} / Mosquitto = {double.Parse(rate, CultureInfo.InvariantCulture) / mosquittoRate:F2}x"));
        }
    }
}
string[] header = ["broker", "qos", "conns", "msg/s", "p50 ms", "p99 ms", "errors", "broker RSS MiB (peak)"];
var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
Console.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
foreach (var r in rows)
{
    Console.WriteLine(string.Join("  ", r.Select((c, i) => c.PadRight(widths[i]))));
}
foreach (var note in notes)
{
    Console.WriteLine(note);
}
return 0;

static string[] Row(string name, int qos, int n, LoadResult r, string rss) =>
[
    name, qos.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture), r.MessagesPerSecond.ToString("F0", CultureInfo.InvariantCulture),
    r.P50Ms.ToString("F2", CultureInfo.InvariantCulture), r.P99Ms.ToString("F2", CultureInfo.InvariantCulture),
    r.Errors.ToString(CultureInfo.InvariantCulture), rss,
];

static int IntArg(string[] a, string name, int fallback) => StringArg(a, name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

static string? StringArg(string[] a, string name)
{
    var i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? a[i + 1] : null;
}
