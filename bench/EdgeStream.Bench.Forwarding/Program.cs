using System.Diagnostics;
using System.Globalization;
using EdgeStream.Bench.Forwarding;
using EdgeStream.Forwarding;
using EdgeStream.Log;
using EdgeStream.Sinks.Http;
using EdgeStream.Sinks.Kafka;
using EdgeStream.Sinks.Mqtt;
using EdgeStream.Sinks.Nats;

// Backlog drain: N records of S bytes pre-loaded in the log; time for EdgeStream to get all of them acknowledged by
// each upstream, next to the same records sent by that upstream's own client directly. Ratio = EdgeStream rate / direct rate.
// Each side runs --rounds times, alternating, and the best time counts (the machine is shared; noise only slows).
// Usage: EdgeStream.Bench.Forwarding [--records 1000000] [--size 200] [--sinks kafka,nats,mqtt,http] [--rounds 2] [--http-baseline plain|buffered]
// (--http-baseline: how the plain HTTP client encodes its body; see Baselines.HttpAsync.)
var records = 1_000_000L;
var rounds = 2;
var size = 200;
var sinks = new[] { "kafka", "nats", "mqtt", "http" };
var httpBaseline = "plain";
if (args.Length % 2 != 0 || args.Contains("--help") || args.Contains("-h"))
{
    // An odd argument used to be ignored silently and start a full run; print the usage instead.
    Console.WriteLine("Usage: EdgeStream.Bench.Forwarding [--records 1000000] [--size 200] [--sinks kafka,nats,mqtt,http] [--rounds 2] [--http-baseline plain|buffered]");
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--records": records = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--size": size = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--sinks": sinks = args[i + 1].Split(','); break;
        case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--http-baseline" when args[i + 1] is "plain" or "buffered": httpBaseline = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
const int Partitions = 4;
var perPartition = records / Partitions;
var total = perPartition * Partitions;

var dataDir = Directory.CreateTempSubdirectory("bench-log-").FullName;
try
{
    await using var log = await LogStore.OpenAsync(new LogOptions { DataDirectory = dataDir, Defaults = new TopicSettings { Partitions = Partitions }, MinFreeBytes = 0, MinFreePercent = 0 });
    var sw = Stopwatch.StartNew();
    await BenchRecords.PreloadAsync(log, Partitions, perPartition, size);
    Console.WriteLine($"preloaded {total:N0} x {size} B in {sw.Elapsed.TotalSeconds:F1} s; {Environment.ProcessorCount} cores; best of {rounds}");
    sw.Restart();
    var readCpu = Cpu();
    await Task.WhenAll(Enumerable.Range(0, Partitions).Select(async p =>
    {
        for (long next = 0; next < perPartition;)
        {
            next = log.Read(BenchRecords.Topic, p, next, new ReadLimits(1000, 1 << 20)).NextOffset;
        }
    }));
    Console.WriteLine($"log read alone: {sw.Elapsed.TotalSeconds:F2} s ({total / sw.Elapsed.TotalSeconds:N0} rec/s), cpu {(Cpu() - readCpu).TotalSeconds:F2} s");
    Console.WriteLine();
    // CPU columns: process CPU seconds (user + system, the in-process upstream included) of the best round of each
    // side; on a shared machine they show the cost per record even when the wall-clock ratio is noisy.
    Console.WriteLine($"{"sink",-6} {"direct s",9} {"direct rec/s",13} {"edgestream s",13} {"edge rec/s",11} {"ratio",6} {"direct cpu s",13} {"edge cpu s",11} {"every ratio",12}");

    await using var up = new Upstreams();
    foreach (var sink in sinks)
    {
        Func<string, Task> direct;
        SinkOptions options = new() { Name = "bench-" + sink, Type = sink };
        options.Batch.MaxRecords = 1000;
        options.Batch.MaxBytes = 1 << 20;
        switch (sink)
        {
            case "kafka":
                up.StartKafka();
                direct = node => Baselines.KafkaAsync(node, up.KafkaBootstrap, Partitions, perPartition, size);
                options.Settings["BootstrapServers"] = up.KafkaBootstrap;
                break;
            case "nats":
                await up.StartNatsAsync();
                direct = node => Baselines.NatsAsync(node, up.NatsUrl, Partitions, perPartition, size);
                options.Settings["Url"] = up.NatsUrl;
                options.Settings["Stream"] = "EDGE";
                options.Settings["CreateStream"] = "true";
                options.Settings["SubjectTemplate"] = "edge.{partition}";
                break;
            case "mqtt":
                await up.StartMosquittoAsync();
                direct = node => Baselines.MqttAsync(node, up.MqttPort, Partitions, perPartition, size);
                options.Settings["Host"] = "127.0.0.1";
                options.Settings["Port"] = up.MqttPort.ToString(CultureInfo.InvariantCulture);
                break;
            case "http":
                await up.StartHttpAsync();
                direct = node => Baselines.HttpAsync(node, up.HttpUrl, Partitions, perPartition, size, buffered: httpBaseline == "buffered");
                options.Settings["Url"] = up.HttpUrl;
                options.Batch.MaxRecords = 500;
                break;
            default:
                Console.Error.WriteLine($"unknown sink {sink}");
                return 2;
        }

        var (directTime, directCpu) = (TimeSpan.MaxValue, TimeSpan.Zero);
        var (edgeTime, edgeCpu) = (TimeSpan.MaxValue, TimeSpan.Zero);
        var perRound = new List<string>();
        for (var round = 0; round < rounds; round++)
        {
            sw.Restart();
            var cpu = Cpu();
            await direct(BenchRecords.NodeOf(round));
            var (d, dc) = (sw.Elapsed, Cpu() - cpu);
            (directTime, directCpu) = d < directTime ? (d, dc) : (directTime, directCpu);
            // A new sink name per round: a new cursor, so the whole backlog drains again.
            options.Name = $"bench-{sink}-{round}";
            cpu = Cpu();
            var e = await DrainAsync(log, options, BenchRecords.NodeOf(round), perPartition);
            var ec = Cpu() - cpu;
            (edgeTime, edgeCpu) = e < edgeTime ? (e, ec) : (edgeTime, edgeCpu);
            perRound.Add((d / e).ToString("F2", CultureInfo.InvariantCulture));
        }

        var ratio = directTime / edgeTime;
        Console.WriteLine($"{sink,-6} {directTime.TotalSeconds,9:F2} {total / directTime.TotalSeconds,13:N0} {edgeTime.TotalSeconds,13:F2} {total / edgeTime.TotalSeconds,11:N0} {ratio,6:F2} {directCpu.TotalSeconds,13:F2} {edgeCpu.TotalSeconds,11:F2} {string.Join(' ', perRound),12}");
    }
}
finally
{
    Directory.Delete(dataDir, recursive: true);
}
return 0;

static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

static async Task<TimeSpan> DrainAsync(LogStore log, SinkOptions options, string node, long perPartition)
{
    var forwarding = new ForwardingOptions { NodeId = node, TopicDiscoveryInterval = TimeSpan.FromMilliseconds(100) };
    forwarding.Sinks.Add(options);
    ISinkFactory[] factories = [new KafkaSinkFactory(), new NatsSinkFactory(), new MqttSinkFactory(), new HttpSinkFactory()];
    await using var engine = new ForwardingEngine(log, forwarding, factories.Select(f => (ISinkFactory)new TimingFactory(f)));
    Interlocked.Exchange(ref TimingFactory.SendTicks, 0);
    using var cts = new CancellationTokenSource();
    var sw = Stopwatch.StartNew();
    var run = engine.RunAsync(cts.Token);
    while (true)
    {
        var s = engine.GetStatus().Sinks[0];
        if (s.Partitions.Count == 4 && s.Partitions.All(p => p.CommittedOffset >= perPartition))
        {
            break;
        }
        if (run.IsCompleted)
        {
            await run;
            throw new InvalidOperationException("engine stopped");
        }
        await Task.Delay(25);
    }
    var elapsed = sw.Elapsed;
    if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
    {
        Console.WriteLine($"  {options.Name}: drain {elapsed.TotalSeconds:F2} s, inside SendAsync {TimeSpan.FromSeconds((double)Interlocked.Read(ref TimingFactory.SendTicks) / Stopwatch.Frequency).TotalSeconds:F2} s summed over 4 loops");
    }
    await cts.CancelAsync();
    await run;
    return elapsed;
}
