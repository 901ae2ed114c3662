// MQTT ingest benchmark: EdgeStream's embedded broker with durable acks (group commit) against a Mosquitto baseline
// (in memory, no durability), same load, same run. Usage:
//   dotnet run -c Release --project bench/EdgeStream.Bench.Mqtt -- [--seconds 10] [--window 16] [--connections 10,100] [--qos 1,0] [--diagnose] [--rounds 1]
// --qos 0 adds the QoS 0 case (stored, not acknowledged): publishers push QoS 0 for the duration, then one QoS 1 publish
// per connection as a barrier; the rate counts QoS 0 messages up to the last barrier's PUBACK (see LoadGenerator).
// --diagnose adds EdgeStream's broker with a log that stores nothing, to separate broker cost from log cost.
// --broker-env NAME=VALUE[,NAME=VALUE] adds EdgeStream's broker with those environment variables (a runtime setting to
// compare, e.g. DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0) beside the plain one, same case, same run.
// --client wire (default) writes MQTT 5 packets on plain sockets (WireLoadGenerator), so the client costs little CPU and
// the brokers decide the rate; --client mqttnet uses MQTTnet's client, as figures before issue 13's seventh pass did.
// --rounds N runs every broker N times per case, in alternating order, and reports the median of the per-round ratios to
// Mosquitto: on a shared or small machine one round's ratio moves by a quarter either way.
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
var rounds = Math.Max(1, IntArg(args, "--rounds", 1));
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
    Console.WriteLine("Usage: EdgeStream.Bench.Mqtt [--seconds 10] [--window 16] [--connections 10,100] [--qos 1,0] [--diagnose] [--broker-env NAME=VALUE[,...]] [--shipped PATH[,PATH]] [--client wire|mqttnet] [--rounds 1] | --hostile [--attackers 100] [--stream-mib 2]");
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
        var contenders = new List<Contender> { new("EdgeStream (durable, group commit)", () => ChildBroker.StartEdgeStreamAsync()) };
        if (diagnose)
        {
            contenders.Add(new("EdgeStream broker, no log (diagnostic)", () => ChildBroker.StartEdgeStreamAsync(withoutLog: true), Compared: false));
        }
        if (brokerEnv is not null)
        {
            contenders.Add(new("EdgeStream with " + string.Join(",", brokerEnv.Select(kv => $"{kv.Key}={kv.Value}")),
                () => ChildBroker.StartEdgeStreamAsync(environment: brokerEnv)));
        }
        foreach (var build in shipped?.Split(',') ?? [])
        {
            var name = shipped!.Contains(',', StringComparison.Ordinal) ? $"EdgeStream shipped build ({build})" : "EdgeStream shipped build (edgestream run)";
            contenders.Add(new(name, () => ChildBroker.StartShippedAsync(build)));
        }
        var baseline = new Contender("Mosquitto (memory, baseline)", ChildBroker.StartMosquittoAsync, Compared: false);
        contenders.Add(baseline);

        // Each round runs every broker once; even rounds reverse the order, so no broker always runs first or last.
        var rates = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var contender in round % 2 == 0 ? contenders : Enumerable.Reverse(contenders))
            {
                var broker = await contender.Start();
                await using (broker)
                {
                    var r = await Load(broker.Port);
                    rows.Add(Row(rounds > 1 ? $"{contender.Name}, round {round + 1}" : contender.Name, qos, n, r, broker.RssMiB()));
                    rates[contender.Name].Add(r.MessagesPerSecond);
                }
                // The child prints its log's counters as it stops.
                if (ReferenceEquals(contender, contenders[0]))
                {
                    notes.Add($"EdgeStream, QoS {qos}, {n} connections, log: {broker.Stats?.Replace("STATS ", "", StringComparison.Ordinal)}");
                }
            }
        }
        // Side by side: each EdgeStream rate over Mosquitto's in the same round, then the median of those ratios.
        foreach (var contender in contenders.Where(c => c.Compared))
        {
            var ratios = rates[contender.Name].Zip(rates[baseline.Name], (e, m) => e / Math.Max(1, m)).ToList();
            var each = rounds > 1 ? $" (median of {rounds} rounds: {string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})" : "";
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"QoS {qos}, {n} connections: {contender.Name} / Mosquitto = {Median(ratios):F2}x{each}"));
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

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

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

internal sealed record Contender(string Name, Func<Task<ChildBroker>> Start, bool Compared = true);
