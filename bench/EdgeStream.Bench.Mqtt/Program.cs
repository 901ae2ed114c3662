// MQTT ingest benchmark: EdgeStream's embedded broker with durable acks (group commit) against a Mosquitto baseline
// (in memory, no durability), same load, same run. Usage:
//   dotnet run -c Release --project bench/EdgeStream.Bench.Mqtt -- [--seconds 10] [--window 16] [--connections 10,100] [--diagnose]
// --diagnose adds EdgeStream's broker with a log that stores nothing, to separate broker cost from log cost.
// The EdgeStream broker runs in a child process (this program with "serve") so its RSS is measured alone.
// --hostile [--attackers 100] [--stream-mib 2] [--seconds 10]: the unauthenticated 256 MiB CONNECT attack instead
// (RSS before/after, EdgeStream beside Mosquitto).
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
var window = IntArg(args, "--window", 16);
var connections = (StringArg(args, "--connections") ?? "10,100").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var payload = 64;
var diagnose = args.Contains("--diagnose");

Console.WriteLine($"MQTT ingest benchmark: {payload}-byte QoS 1 publishes, {window} in flight per connection, {seconds} s per case, {Environment.ProcessorCount} CPUs");
var rows = new List<string[]>();
var notes = new List<string>();
foreach (var n in connections)
{
    var edge = await ChildBroker.StartEdgeStreamAsync();
    await using (edge)
    {
        var r = await LoadGenerator.RunAsync(edge.Port, n, window, payload, TimeSpan.FromSeconds(seconds));
        rows.Add(Row("EdgeStream (durable, group commit)", n, r, edge.RssMiB()));
    }
    notes.Add($"EdgeStream, {n} connections, log: {edge.Stats?.Replace("STATS ", "", StringComparison.Ordinal)}");
    if (diagnose)
    {
        await using var bare = await ChildBroker.StartEdgeStreamAsync(withoutLog: true);
        var r = await LoadGenerator.RunAsync(bare.Port, n, window, payload, TimeSpan.FromSeconds(seconds));
        rows.Add(Row("EdgeStream broker, no log (diagnostic)", n, r, bare.RssMiB()));
    }
    await using (var mosquitto = await ChildBroker.StartMosquittoAsync())
    {
        var r = await LoadGenerator.RunAsync(mosquitto.Port, n, window, payload, TimeSpan.FromSeconds(seconds));
        rows.Add(Row("Mosquitto (memory, baseline)", n, r, mosquitto.RssMiB()));
    }
}
string[] header = ["broker", "conns", "acked msg/s", "p50 ms", "p99 ms", "errors", "broker RSS MiB (peak)"];
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

static string[] Row(string name, int n, LoadResult r, string rss) =>
[
    name, n.ToString(CultureInfo.InvariantCulture), r.MessagesPerSecond.ToString("F0", CultureInfo.InvariantCulture),
    r.P50Ms.ToString("F2", CultureInfo.InvariantCulture), r.P99Ms.ToString("F2", CultureInfo.InvariantCulture),
    r.Errors.ToString(CultureInfo.InvariantCulture), rss,
];

static int IntArg(string[] a, string name, int fallback) => StringArg(a, name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

static string? StringArg(string[] a, string name)
{
    var i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? a[i + 1] : null;
}
