// Sensor ingest cost: N simulated sensors polled at 1 Hz for a while, appending to a real LogStore.
// Prints CPU time per reading and the process RSS, next to a baseline phase with the same host and no sensors.
// Usage: dotnet run -c Release --project bench/EdgeStream.Bench.Sensors -- [sensors=20] [seconds=60] [baselineSeconds=10] [warmupSeconds=10]
using System.Diagnostics;
using System.Globalization;
using EdgeStream.Log;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

int sensors = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
int baselineSeconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
int warmupSeconds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
string data = Directory.CreateTempSubdirectory("edgestream-bench-sensors-").FullName;
try
{
    var baseline = await MeasureAsync(0, baselineSeconds, warmupSeconds, Path.Combine(data, "baseline"));
    var run = await MeasureAsync(sensors, seconds, warmupSeconds, Path.Combine(data, "run"));
    Console.WriteLine($"{"phase",-10} {"sensors",8} {"seconds",8} {"readings",9} {"cpu ms",9} {"cpu %core",10} {"cpu µs/reading",15} {"rss MiB",8} {"peak MiB",9} {"gc heap MiB",12}");
    Print("baseline", baseline);
    Print("sensors", run);
    double extraCpuMs = run.CpuMs - baseline.CpuMs * run.Seconds / Math.Max(1, baseline.Seconds);
    Console.WriteLine($"cpu above baseline per reading: {extraCpuMs * 1000 / Math.Max(1, run.Readings):F0} µs; rss above baseline: {(run.RssBytes - baseline.RssBytes) / 1048576.0:F1} MiB");
}
finally
{
    Directory.Delete(data, recursive: true);
}

static void Print(string phase, Result r) => Console.WriteLine(
    $"{phase,-10} {r.Sensors,8} {r.Seconds,8} {r.Readings,9} {r.CpuMs,9:F0} {r.CpuMs / (r.Seconds * 10.0),10:F2} {(r.Readings == 0 ? 0 : r.CpuMs * 1000 / r.Readings),15:F0} {r.RssBytes / 1048576.0,8:F1} {r.PeakRssBytes / 1048576.0,9:F1} {r.GcHeapBytes / 1048576.0,12:F1}");

static async Task<Result> MeasureAsync(int sensors, int seconds, int warmupSeconds, string dataDirectory)
{
    string[] types = ["bme280", "bmp280", "sht3x", "bh1750", "ads1115", "mcp9808", "ds18b20"];
    var settings = new Dictionary<string, string?>();
    for (int i = 0; i < sensors; i++)
    {
        string type = types[i % types.Length];
        settings[$"Sensors:{i}:Name"] = $"{type}-{i}";
        settings[$"Sensors:{i}:Type"] = type;
        settings[$"Sensors:{i}:Driver"] = "simulated";
        settings[$"Sensors:{i}:Bus"] = (1 + i % 3).ToString(CultureInfo.InvariantCulture);
        settings[$"Sensors:{i}:PollInterval"] = "00:00:01";
        settings[$"Sensors:{i}:Tags:site"] = "bench";
        settings[$"Sensors:{i}:Channels:0:Name"] = "a0";
        settings[$"Sensors:{i}:Channels:1:Name"] = "a1";
        settings[$"Sensors:{i}:Channels:1:Input"] = "AIN1";
        settings[$"Sensors:{i}:DeviceId"] = $"28-0000000000{i:x2}";
        settings[$"Sensors:{i}:Simulation:OneWireRoot"] = Path.Combine(dataDirectory, "w1");
    }
    using var loggers = LoggerFactory.Create(l => l.SetMinimumLevel(LogLevel.Warning).AddConsole());
    await using var store = await LogStore.OpenAsync(new LogOptions { DataDirectory = Path.Combine(dataDirectory, "log"), CommitPolicy = "group" }, loggers, TimeProvider.System);
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddInMemoryCollection(settings);
    builder.Logging.SetMinimumLevel(LogLevel.Warning).AddConsole();
    builder.Services.AddSingleton(store);
    builder.Services.AddSensorIngest(builder.Configuration);
    builder.Services.AddSimulatedSensorHardware();
    using var host = builder.Build();

    await host.StartAsync();
    // Let binding set-up and tiered JIT settle before measuring, as they would within minutes on a Pi.
    await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
    long before = Appended(store);
    using var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;
    long readings = Appended(store) - before;
    var result = new Result(sensors, seconds, readings, cpu.TotalMilliseconds, process.WorkingSet64, process.PeakWorkingSet64, GC.GetTotalMemory(false));
    await host.StopAsync();
    return result;
}

static long Appended(LogStore store) => store.GetTopic("sensors")?.Partitions.Sum(p => p.NextOffset) ?? 0;

internal sealed record Result(int Sensors, int Seconds, long Readings, double CpuMs, long RssBytes, long PeakRssBytes, long GcHeapBytes);
