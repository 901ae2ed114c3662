using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EdgeStream.Bench.Footprint;

// Footprint of the real `edgestream run` process: start-up time to /readyz, idle RSS, RSS and CPU% under paced
// QoS 1 MQTT ingest with one HTTP sink draining, for the shipped build (what `dotnet publish src/EdgeStream.Host -c
// Release -r linux-x64` produces: NativeAOT) beside the framework-dependent one, then (unless --quick) both with the GC
// and JIT settings worth trying, set through DOTNET_* environment variables, so each line shows what one setting buys.
// Runtime settings are hexadecimal WITHOUT a 0x prefix: NativeAOT's config reader ignores "0x4000000" silently (CoreCLR
// accepts both), so a prefixed value measures the defaults. The shipped build bakes its GC settings in (the Host's csproj);
// an environment variable overrides a baked one, so "= 0" lines show what the baked setting buys.
// Usage: EdgeStream.Bench.Footprint [--repo dir] [--shipped path/to/edgestream[,path/to/another]] [--quick]
//        [--env NAME=VALUE ...] [--smaps] [--rounds 1]
// --shipped with several comma-separated builds measures each (the first is "shipped"; settings lines use it), so two
// commits' builds are compared in one run.
// --smaps prints the largest resident mappings (SmapsSummary) when idle and at the end of each load window.
// --rounds N measures every build N times, in alternating order, and judges the targets on each figure's median: CPU at
// 10k msgs/s moves by several points between runs on a shared machine, more than most changes it is used to judge.
var inv = CultureInfo.InvariantCulture;
var repo = ArgValue(args, "--repo") ?? FindRepo();
var variants = !args.Contains("--quick");
var rounds = int.TryParse(ArgValue(args, "--rounds"), NumberStyles.Integer, inv, out var r0) && r0 > 1 ? r0 : 1;
var smaps = args.Contains("--smaps");
var temp = Directory.CreateTempSubdirectory("es-footprint-");
using var processes = new ChildProcesses();
AppDomain.CurrentDomain.ProcessExit += (_, _) => processes.KillAll();
Console.CancelKeyPress += (_, e) => { processes.KillAll(); };

try
{
    Console.WriteLine(string.Create(inv, $"EdgeStream footprint benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}"));
    Console.WriteLine($"repo: {repo}");

    var builds = new List<Build>();
    var fdd = Path.Combine(repo, "src/EdgeStream.Host/bin/Release/net10.0/edgestream.dll");
    var haveFdd = File.Exists(fdd);
    if (haveFdd)
    {
        builds.Add(new Build("framework-dependent", "dotnet", [fdd]));
    }
    else
    {
        Console.WriteLine($"framework-dependent: {fdd} missing (run `dotnet build src/EdgeStream.Host -c Release` first); measuring the shipped build only.");
    }

    var shipped = ArgValue(args, "--shipped");
    if (shipped is null)
    {
        // Publishing with a RID rewrites obj/ of every referenced project, so publish from a copy of the working tree.
        var src = Path.Combine(temp.FullName, "src");
        CopyTree(repo, src);
        var output = Path.Combine(temp.FullName, "shipped");
        var publish = await Publisher.PublishAsync(src, output, [], Path.Combine(temp.FullName, "publish.log"));
        Console.WriteLine(publish.Describe("shipped (plain dotnet publish -r linux-x64)"));
        shipped = publish.Succeeded ? Path.Combine(output, "edgestream") : null;
    }
    var listed = shipped?.Split(',') ?? [];
    var others = listed.Skip(1);
    shipped = listed.FirstOrDefault();
    if (shipped is not null)
    {
        builds.Insert(0, new Build("shipped", shipped, []));
        builds.InsertRange(1, others.Select(o => new Build($"shipped ({o})", o, [])));
        if (variants)
        {
            builds.Add(new Build("shipped, concurrent GC", shipped, [], new() { ["DOTNET_gcConcurrent"] = "1" }));
            // The shipped build bakes GCgen0size=400000 (4 MB) in; 0 restores the runtime's default (from the CPU cache size).
            builds.Add(new Build("shipped, default gen0 budget", shipped, [], new() { ["DOTNET_GCgen0size"] = "0" }));
            builds.Add(new Build("shipped, hard limit 64MB", shipped, [], new() { ["DOTNET_GCHeapHardLimit"] = "4000000" }));
            builds.Add(new Build("shipped, ConserveMemory 7", shipped, [], new() { ["DOTNET_GCConserveMemory"] = "7" }));
        }
        // --env NAME=VALUE (repeatable): one more shipped line with all of them set, for a quick loop over a setting.
        var extraEnv = ArgValues(args, "--env").Select(e => e.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        if (extraEnv.Count > 0)
        {
            builds.Insert(1, new Build("shipped + --env", shipped, [], extraEnv));
        }
    }
    if (variants && haveFdd)
    {
        builds.Add(new Build("fdd, TieredPGO off", "dotnet", [fdd], new() { ["DOTNET_TieredPGO"] = "0" }));
        builds.Add(new Build("fdd, server GC", "dotnet", [fdd], new() { ["DOTNET_gcServer"] = "1" }));
    }

    await using var sink = await SinkReceiver.StartAsync();
    Console.WriteLine($"sink receiver: {sink.Url}");
    var perBuild = builds.ToDictionary(b => b, _ => new List<Result>());
    for (var round = 0; round < rounds; round++)
    {
        // Even rounds reverse the order, so no build always runs first or last.
        foreach (var build in round % 2 == 0 ? builds : Enumerable.Reverse(builds))
        {
            var label = rounds > 1 ? $"{build.Name}, round {round + 1}" : build.Name;
            Console.WriteLine($"--- {label}: {string.Join(' ', (build.Env ?? []).Select(e => $"{e.Key}={e.Value}"))} {build.FileName} {string.Join(' ', build.Args)}");
            perBuild[build].Add(await MeasureAsync(build with { Name = label }, sink, processes, temp.FullName, smaps));
        }
    }
    var results = rounds > 1
        ? builds.SelectMany(b => perBuild[b].Append(Result.Median($"{b.Name}, median", perBuild[b]))).ToList()
        : builds.Select(b => perBuild[b][0]).ToList();

    // Builds named by their path make the first column as wide as they need.
    var width = Math.Max(26, results.Max(x => x.Name.Length));
    var rule = new string('-', width + 1);
    Console.WriteLine();
    Console.WriteLine($"{"build".PadRight(width)} | ready ms | idle RSS MB | RSS@1k MB | CPU%@1k | RSS@10k MB | CPU%@10k | acked/s @1k | acked/s @10k");
    Console.WriteLine($"{rule}+----------+-------------+-----------+---------+------------+----------+-------------+-------------");
    foreach (var r in results)
    {
        Console.WriteLine(string.Create(inv,
            $"{r.Name.PadRight(width)} | {Fmt(r.ReadyMs, "F0"),8} | {Fmt(r.IdleMb, "F1"),11} | {Fmt(r.Load1k?.MaxRssMb, "F1"),9} | {Fmt(r.Load1k?.CpuPercent, "F0"),7} | {Fmt(r.Load10k?.MaxRssMb, "F1"),10} | {Fmt(r.Load10k?.CpuPercent, "F0"),8} | {Fmt(r.Load1k?.AckedPerSecond, "F0"),11} | {Fmt(r.Load10k?.AckedPerSecond, "F0"),12}"));
    }
    Console.WriteLine();
    Console.WriteLine("where RSS goes (/proc/PID/status): RssAnon is the GC heap, the NativeAOT .hydrated type data, native heaps and");
    Console.WriteLine("stacks; RssFile is the mapped pages of the executable and its libraries");
    Console.WriteLine($"{"build".PadRight(width)} | idle anon MB | idle file MB | idle threads | anon@10k MB | file@10k MB | threads@10k");
    Console.WriteLine($"{rule}+--------------+--------------+--------------+-------------+-------------+------------");
    foreach (var r in results)
    {
        Console.WriteLine(string.Create(inv,
            $"{r.Name.PadRight(width)} | {Fmt(r.Idle?.AnonKb / 1024.0, "F1"),12} | {Fmt(r.Idle?.FileKb / 1024.0, "F1"),12} | {Fmt(r.Idle?.Threads, "F0"),12} | {Fmt(r.Load10k?.AtMax.AnonKb / 1024.0, "F1"),11} | {Fmt(r.Load10k?.AtMax.FileKb / 1024.0, "F1"),11} | {Fmt(r.Load10k?.AtMax.Threads, "F0"),11}"));
    }
    Console.WriteLine();
    Console.WriteLine("targets: ready < 300 ms, idle RSS <= 40 MB, RSS <= 80 MB and CPU < 50% of one core at 10,000 msgs/s");
    foreach (var r in rounds > 1 ? results.Where(x => x.Name.EndsWith(", median", StringComparison.Ordinal)) : results)
    {
        var tenK = r.Load10k is { } l && l.AckedPerSecond < 9_000
            ? string.Create(inv, $"NOT MEASURED (only {l.AckedPerSecond:F0} msgs/s acked; {l.MaxRssMb:F1} MB while refusing)")
            : Verdict(r.Load10k?.MaxRssMb, v => v <= 80);
        var cpu10k = Verdict(r.Load10k?.CpuPercent, v => v < 50);
        Console.WriteLine($"{r.Name.PadRight(width)}  ready {Verdict(r.ReadyMs, v => v < 300)}  idle RSS {Verdict(r.IdleMb, v => v <= 40)}  RSS@10k {tenK}  CPU@10k {cpu10k}");
    }
    return 0;
}
finally
{
    processes.KillAll();
    try
    {
        temp.Delete(recursive: true);
    }
    catch (IOException e)
    {
        Console.WriteLine($"could not remove {temp.FullName}: {e.Message}");
    }
}

static async Task<Result> MeasureAsync(Build build, SinkReceiver sink, ChildProcesses processes, string temp, bool smaps)
{
    var result = new Result(build.Name);
    var ready = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        await using var run = await EdgeStreamProcess.StartAsync(build, sink.Url, temp, processes);
        if (run.ReadyMs is not { } ms)
        {
            Console.WriteLine($"  start {i + 1}: NOT READY: {run.Failure}");
            return result;
        }
        ready.Add(ms);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  start {i + 1}: ready in {ms:F0} ms"));
    }
    ready.Sort();
    result.ReadyMs = ready[1];

    await using (var run = await EdgeStreamProcess.StartAsync(build, sink.Url, temp, processes))
    {
        if (run.ReadyMs is null)
        {
            Console.WriteLine($"  NOT READY: {run.Failure}");
            return result;
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        result.Idle = ProcStats.Status(run.Pid);
        result.IdleMb = result.Idle.RssKb / 1024.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  idle after 5 s: VmRSS {result.IdleMb:F1} MB (anon {result.Idle.AnonKb / 1024.0:F1}, file {result.Idle.FileKb / 1024.0:F1}), {result.Idle.Threads} threads"));
        if (smaps)
        {
            Console.WriteLine(SmapsSummary.Describe(run.Pid));
        }
        result.Load1k = await LoadWindowAsync(run, sink, 1_000, smaps);
        result.Load10k = await LoadWindowAsync(run, sink, 10_000, smaps);
        if (run.HasExited)
        {
            Console.WriteLine($"  process exited during the run: {run.Failure}");
        }
    }
    return result;
}

static async Task<LoadResult> LoadWindowAsync(EdgeStreamProcess run, SinkReceiver sink, int rate, bool smaps)
{
    const int connections = 10;
    const int window = 64;
    var duration = TimeSpan.FromSeconds(10);
    var publisher = new PacedPublisher(run.MqttPort, rate, connections, window, $"r{rate}");
    await publisher.ConnectAsync();
    var sinkBefore = sink.Snapshot();
    var cpuBefore = ProcStats.CpuTicks(run.Pid);
    var wall = Stopwatch.StartNew();
    using var stop = new CancellationTokenSource();
    var atMax = ProcStats.Status(run.Pid);
    var sampler = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
        {
            var now = ProcStats.Status(run.Pid);
            atMax = now.RssKb > atMax.RssKb ? now : atMax;
        }
    });
    var (acked, failed, elapsed) = await publisher.RunAsync(duration);
    var cpuAfter = ProcStats.CpuTicks(run.Pid);
    var mappings = smaps ? SmapsSummary.Describe(run.Pid) : null;
    var wallSeconds = wall.Elapsed.TotalSeconds;
    await stop.CancelAsync();
    await sampler;
    var last = ProcStats.Status(run.Pid);
    atMax = last.RssKb > atMax.RssKb ? last : atMax;
    var sinkAfter = sink.Snapshot();
    await publisher.DisposeAsync();
    var cpu = (cpuAfter - cpuBefore) / (double)ProcStats.ClockTicksPerSecond / wallSeconds * 100;
    var r = new LoadResult(atMax.RssKb / 1024.0, cpu, acked / elapsed.TotalSeconds, atMax);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {rate,6} msgs/s target: acked {acked} ({r.AckedPerSecond:F0}/s), failed {failed}, max VmRSS {r.MaxRssMb:F1} MB (anon {atMax.AnonKb / 1024.0:F1}, file {atMax.FileKb / 1024.0:F1}, {atMax.Threads} threads), CPU {r.CpuPercent:F0}% of one core over {wallSeconds:F1} s; sink got {sinkAfter.Requests - sinkBefore.Requests} POSTs, {(sinkAfter.Bytes - sinkBefore.Bytes) / 1024.0 / 1024.0:F1} MB"));
    if (mappings is not null)
    {
        Console.WriteLine(mappings);
    }
    if (publisher.FirstFailure is { } why)
    {
        Console.WriteLine($"    first failed publish: {why}");
    }
    if (run.Problems() is { Length: > 0 } problems)
    {
        Console.WriteLine($"    service log (first warn/fail entries): {(problems.Length > 900 ? problems[..900] + " ..." : problems)}");
    }
    return r;
}

static string Fmt(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";

static string Verdict(double? v, Func<double, bool> ok) => v is { } x ? (ok(x) ? "MET" : "MISS") : "n/a";

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static IEnumerable<string> ArgValues(string[] args, string name)
{
    for (var i = 0; i + 1 < args.Length; i++)
    {
        if (args[i] == name)
        {
            yield return args[i + 1];
        }
    }
}

static string FindRepo()
{
    for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
    {
        if (File.Exists(Path.Combine(d.FullName, "EdgeStream.sln")))
        {
            return d.FullName;
        }
    }
    throw new InvalidOperationException("EdgeStream.sln not found above the current directory; pass --repo.");
}

static void CopyTree(string from, string to)
{
    Directory.CreateDirectory(to);
    foreach (var file in Directory.EnumerateFiles(from))
    {
        File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
    foreach (var dir in Directory.EnumerateDirectories(from))
    {
        var name = Path.GetFileName(dir);
        if (name is "bin" or "obj" or ".git" or "TestResults")
        {
            continue;
        }
        CopyTree(dir, Path.Combine(to, name));
    }
}

namespace EdgeStream.Bench.Footprint
{
    /// <summary>A way to run the service: executable, leading arguments, extra environment (DOTNET_* runtime settings).</summary>
    internal sealed record Build(string Name, string FileName, string[] Args, Dictionary<string, string>? Env = null);

    internal sealed record LoadResult(double MaxRssMb, double CpuPercent, double AckedPerSecond, MemoryStatus AtMax);

    /// <summary>VmRSS split into RssAnon and RssFile (RssShmem is 0 here), and the thread count, from /proc/PID/status.</summary>
    internal sealed record MemoryStatus(long RssKb, long AnonKb, long FileKb, int Threads);

    internal sealed class Result(string name)
    {
        public string Name { get; } = name;
        public double? ReadyMs { get; set; }
        public double? IdleMb { get; set; }
        public MemoryStatus? Idle { get; set; }
        public LoadResult? Load1k { get; set; }
        public LoadResult? Load10k { get; set; }

        /// <summary>Each figure's median over <paramref name="rounds"/> (those that have it); the shape figures
        /// (anon, file, threads) come from the round whose peak RSS is the median.</summary>
        public static Result Median(string name, IReadOnlyList<Result> rounds) => new(name)
        {
            ReadyMs = MedianOf(rounds.Select(r => r.ReadyMs)),
            IdleMb = MedianOf(rounds.Select(r => r.IdleMb)),
            Idle = rounds.Where(r => r.Idle is not null).OrderBy(r => r.IdleMb).ElementAtOrDefault(rounds.Count(r => r.Idle is not null) / 2)?.Idle,
            Load1k = MedianOf(rounds.Select(r => r.Load1k)),
            Load10k = MedianOf(rounds.Select(r => r.Load10k)),
        };

        private static LoadResult? MedianOf(IEnumerable<LoadResult?> loads)
        {
            var all = loads.OfType<LoadResult>().ToList();
            if (all.Count == 0)
            {
                return null;
            }
            var byRss = all.OrderBy(l => l.MaxRssMb).ToList()[all.Count / 2];
            return new LoadResult(byRss.MaxRssMb, MedianOf(all.Select(l => (double?)l.CpuPercent))!.Value,
                MedianOf(all.Select(l => (double?)l.AckedPerSecond))!.Value, byRss.AtMax);
        }

        // The middle value; of an even count, the mean of the two middle ones.
        private static double? MedianOf(IEnumerable<double?> values)
        {
            var v = values.OfType<double>().Order().ToList();
            return v.Count == 0 ? null : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
        }
    }

    internal static class ProcStats
    {
        // USER_HZ is 100 on every Linux ABI .NET supports.
        public const int ClockTicksPerSecond = 100;

        public static MemoryStatus Status(int pid)
        {
            long rss = 0, anon = 0, file = 0, threads = 0;
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0)
                    {
                        continue;
                    }
                    ref var field = ref rss;
                    switch (line[..colon])
                    {
                        case "VmRSS": field = ref rss; break;
                        case "RssAnon": field = ref anon; break;
                        case "RssFile": field = ref file; break;
                        case "Threads": field = ref threads; break;
                        default: continue;
                    }
                    field = long.Parse(line[(colon + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process is gone.
            }
            return new MemoryStatus(rss, anon, file, (int)threads);
        }

        /// <summary>utime + stime in clock ticks.</summary>
        public static long CpuTicks(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
    }

    internal static class Ports
    {
        public static int Free()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }
    }

    /// <summary>Every process the benchmark started, killed (with its tree) at the end whatever happens.</summary>
    internal sealed class ChildProcesses : IDisposable
    {
        private readonly List<Process> _all = [];

        public void Add(Process p)
        {
            lock (_all)
            {
                _all.Add(p);
            }
        }

        public void KillAll()
        {
            lock (_all)
            {
                foreach (var p in _all)
                {
                    try
                    {
                        if (!p.HasExited)
                        {
                            p.Kill(entireProcessTree: true);
                            p.WaitForExit(5000);
                        }
                    }
                    catch (InvalidOperationException)
                    {
                        // Never started or already reaped.
                    }
                }
            }
        }

        public void Dispose()
        {
            KillAll();
            lock (_all)
            {
                foreach (var p in _all)
                {
                    p.Dispose();
                }
                _all.Clear();
            }
        }
    }

    internal sealed record PublishResult(bool Succeeded, string[] Warnings, string[] Errors, TimeSpan Took, int ExitCode)
    {
        public string Describe(string name)
        {
            var codes = Warnings.Select(w => Regex.Match(w, @"warning ([A-Z]{2,}\d+)").Groups[1].Value)
                .GroupBy(c => c).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}x{g.Count()}");
            var text = string.Create(CultureInfo.InvariantCulture,
                $"publish {name}: {(Succeeded ? "OK" : $"FAILED (exit {ExitCode})")} in {Took.TotalSeconds:F0} s, {Warnings.Length} distinct warnings ({string.Join(", ", codes)})");
            if (!Succeeded)
            {
                text += Environment.NewLine + string.Join(Environment.NewLine, Errors.Take(6).Select(e => "  " + e));
            }
            return text;
        }
    }

    internal static partial class Publisher
    {
        [GeneratedRegex(@"\bwarning [A-Z]{2,}\d+")]
        private static partial Regex WarningPattern();

        [GeneratedRegex(@"\berror\b|\bfailed\b|clang|ld\.lld|undefined reference", RegexOptions.IgnoreCase)]
        private static partial Regex ErrorPattern();

        [GeneratedRegex(@"^\d+>")]
        private static partial Regex NodePrefix();

        [GeneratedRegex(@" \[[^\]]+\.csproj(::[^\]]*)?\]$")]
        private static partial Regex ProjectSuffix();

        public static async Task<PublishResult> PublishAsync(string src, string output, string[] extra, string logFile)
        {
            // ILLink's incremental check ignores feature switches: start every publish from a clean RID-specific obj/ of the host.
            var ridObj = Path.Combine(src, "src/EdgeStream.Host/obj/Release/net10.0/linux-x64");
            if (Directory.Exists(ridObj))
            {
                Directory.Delete(ridObj, recursive: true);
            }
            var psi = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = src,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { "publish", "src/EdgeStream.Host", "-c", "Release", "-r", "linux-x64", "-o", output, "-tl:off", "-nologo" }.Concat(extra))
            {
                psi.ArgumentList.Add(a);
            }
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            var text = await stdout + await stderr;
            await File.WriteAllTextAsync(logFile, text);
            // Strip MSBuild's node prefix ("12>") and project suffix (" [x.csproj]") so repeats of one diagnostic compare equal.
            var lines = text.Split('\n').Select(l => NodePrefix().Replace(ProjectSuffix().Replace(l.Trim(), ""), "")).ToArray();
            // MSBuild repeats each diagnostic in its summary, and per target framework: count distinct lines.
            var warnings = lines.Where(l => WarningPattern().IsMatch(l)).Distinct().ToArray();
            var errors = lines.Where(l => ErrorPattern().IsMatch(l) && !WarningPattern().IsMatch(l)).Distinct().ToArray();
            return new PublishResult(p.ExitCode == 0, warnings, errors, sw.Elapsed, p.ExitCode);
        }
    }
}
