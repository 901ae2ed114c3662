using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;

namespace EdgeStream.Http.Metrics;

/// <summary>
/// Meter <c>EdgeStream.Process</c>: the process metrics every Prometheus client library exports under the same names
/// (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>, <c>process_virtual_memory_bytes</c>,
/// <c>process_open_fds</c>, <c>process_max_fds</c>, <c>process_start_time_seconds</c>), read from <c>/proc/self</c>
/// at each scrape, and <c>edgestream_build_info{version,commit}</c> (always 1) from the executable's informational
/// version (the SDK appends the git commit, <c>SourceRevisionId</c>, after a <c>+</c>). Thread-safe.
/// </summary>
internal sealed class ProcessMetrics : IDisposable
{
    public const string MeterName = "EdgeStream.Process";

    private readonly Meter _meter = new(MeterName);

    public ProcessMetrics()
    {
        var (version, commit) = BuildVersion(Assembly.GetEntryAssembly() ?? typeof(ProcessMetrics).Assembly);
        double startTime;
        using (var self = Process.GetCurrentProcess())
        {
            startTime = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        }
        _meter.CreateObservableCounter("process.cpu", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "Total user and system CPU time spent.");
        _meter.CreateObservableGauge("process.resident_memory", () => Statm(1), "By", "Resident memory size.");
        _meter.CreateObservableGauge("process.virtual_memory", () => Statm(0), "By", "Virtual memory size.");
        _meter.CreateObservableGauge("process.open_fds", OpenFds, "{file}", "Number of open file descriptors.");
        _meter.CreateObservableGauge("process.max_fds", MaxFds, "{file}", "Maximum number of open file descriptors.");
        _meter.CreateObservableGauge("process.start_time", () => startTime, "s", "Start time of the process since the Unix epoch.");
        _meter.CreateObservableGauge("edgestream.build.info", () => new Measurement<int>(1,
            new KeyValuePair<string, object?>("version", version), new KeyValuePair<string, object?>("commit", commit)),
            description: "The running build: version and git commit (value always 1).");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary><c>1.2.3+0123abc</c> → (<c>1.2.3</c>, <c>0123abc</c>); <c>unknown</c> where a part is missing.</summary>
    internal static (string Version, string Commit) BuildVersion(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return (assembly.GetName().Version?.ToString() ?? "unknown", "unknown");
        }
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }

    // /proc/self/statm: size and resident set, in pages.
    private static IEnumerable<Measurement<long>> Statm(int field)
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/self/statm");
        }
        catch (IOException)
        {
            yield break;
        }
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > field && long.TryParse(parts[field], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
        {
            yield return new Measurement<long>(pages * Environment.SystemPageSize);
        }
    }

    private static IEnumerable<Measurement<long>> OpenFds()
    {
        if (Directory.Exists("/proc/self/fd"))
        {
            yield return new Measurement<long>(Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount());
        }
    }

    // "Max open files            1024                 1048576              files": the soft limit.
    private static IEnumerable<Measurement<long>> MaxFds()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/limits");
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (var line in lines.Where(l => l.StartsWith("Max open files", StringComparison.Ordinal)))
        {
            var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                yield return new Measurement<long>(value);
            }
        }
    }
}
