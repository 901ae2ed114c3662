using System.Globalization;

namespace EdgeStream.Bench;

/// <summary>Prints measurements side by side and the ratios against the project's targets. Not thread-safe.</summary>
internal sealed class Report(TextWriter output)
{
    private readonly List<Measurement> _all = [];

    public void Add(Measurement m)
    {
        _all.Add(m);
        // Printed as it comes so a long run shows progress.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {Label(m.Workload),-32} {m.System,-11} {m.Mode,-22} {m.RecordsPerSecond,14:N0} rec/s {m.MegabytesPerSecond,9:N1} MB/s"));
    }

    public void WriteTargets(Workload small1K16, Workload small100B16, IEnumerable<Workload> batchWorkloads, Workload always)
    {
        output.WriteLine();
        output.WriteLine("Targets (provisional unless the machine was quiet):");
        var disk1K = Find("disk", "write+fdatasync/5ms", small1K16 with { Appenders = 1 });
        var es1K = Find("EdgeStream", "interval:5ms", small1K16);
        Target("1 KiB durable append ≥ 80% of disk sequential limit", es1K.MegabytesPerSecond / disk1K.MegabytesPerSecond, 0.8,
            $"{es1K.MegabytesPerSecond:N1} / {disk1K.MegabytesPerSecond:N1} MB/s");
        var group100 = Find("EdgeStream", "group", small100B16);
        Target("100 B group commit ≥ 1,000,000 rec/s", group100.RecordsPerSecond / 1_000_000, 1.0, $"{group100.RecordsPerSecond:N0} rec/s");
        foreach (var w in batchWorkloads)
        {
            var es = Find("EdgeStream", "interval:5ms", w);
            var faster = Find("FasterLog", "commit/5ms", w);
            var sqlite = Find("SQLite", "WAL, sync=FULL", w);
            Target($"ahead of FasterLog, {Label(w)}", es.RecordsPerSecond / faster.RecordsPerSecond, 1.0,
                $"{es.RecordsPerSecond:N0} vs {faster.RecordsPerSecond:N0} rec/s");
            Target($"≥ 10× SQLite, {Label(w)}", es.RecordsPerSecond / sqlite.RecordsPerSecond, 10.0,
                $"{es.RecordsPerSecond:N0} vs {sqlite.RecordsPerSecond:N0} rec/s");
            if (w.Appenders == 1)
            {
                var group = Find("EdgeStream", "group", w);
                Target($"one appender, group ≥ SQLite WAL, {Label(w)}", group.RecordsPerSecond / sqlite.RecordsPerSecond, 1.0,
                    $"{group.RecordsPerSecond:N0} vs {sqlite.RecordsPerSecond:N0} rec/s");
                var plain = Find("EdgeStream", "group, no prealloc", w);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  info  preallocation, group, {Label(w)}: {group.RecordsPerSecond:N0} vs {plain.RecordsPerSecond:N0} rec/s without = {group.RecordsPerSecond / plain.RecordsPerSecond:0.00}×"));
                var unfilled = Find("EdgeStream", "group, no zero fill", w);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  info  zero fill, group, {Label(w)}: {group.RecordsPerSecond:N0} vs {unfilled.RecordsPerSecond:N0} rec/s without = {group.RecordsPerSecond / unfilled.RecordsPerSecond:0.00}×"));
            }
        }
        var alwaysEs = Find("EdgeStream", "always, single", always);
        var fsync = Find("disk", "write+fdatasync loop", always with { Appenders = 1 });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  info  'always' commits/s vs raw fdatasync rate: {alwaysEs.RecordsPerSecond:N0} vs {fsync.RecordsPerSecond:N0} = {alwaysEs.RecordsPerSecond / fsync.RecordsPerSecond:0.00}×"));
        var single = Find("EdgeStream", "always, single", always with { Appenders = 1 });
        var singlePlain = Find("EdgeStream", "always, single, no prealloc", always with { Appenders = 1 });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  info  preallocation, 100 B committed back to back by 1 appender: {single.RecordsPerSecond:N0} vs {singlePlain.RecordsPerSecond:N0} commits/s without = {single.RecordsPerSecond / singlePlain.RecordsPerSecond:0.00}×"));
    }

    public static string Label(Workload w) => string.Create(CultureInfo.InvariantCulture,
        $"{(w.RecordBytes >= 1024 ? $"{w.RecordBytes / 1024} KiB" : $"{w.RecordBytes} B")} ×{w.BatchSize}, {w.Appenders} appender{(w.Appenders == 1 ? "" : "s")}");

    private Measurement Find(string system, string mode, Workload w)
        => _all.Single(m => m.System == system && m.Mode == mode && m.Workload == w);

    private void Target(string name, double ratio, double goal, string detail)
        => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {(ratio >= goal ? "MET " : "MISS")}  {name,-48} ratio {ratio,6:0.00} (goal {goal:0.##})  {detail}"));
}
