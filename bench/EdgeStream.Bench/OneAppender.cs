using System.Globalization;

namespace EdgeStream.Bench;

/// <summary>
/// One appender committing 64-record batches back to back under <c>group</c>, beside SQLite WAL (synchronous=FULL),
/// in alternating rounds of 3 s: the per-commit cost, where a single full run is within the disk's noise of the target.
/// The log also runs without Log:SegmentZeroFill in each round, to show what that buys. Prints every round and the
/// median ratio per case.
/// </summary>
internal static class OneAppender
{
    public static async Task<int> RunAsync(int rounds, Func<string> fresh, TextWriter output, CancellationToken ct)
    {
        output.WriteLine($"One appender, group vs SQLite WAL: {rounds} alternating rounds of 3 s, {Environment.ProcessorCount} cores");
        foreach (var size in new[] { 100, 1024 })
        {
            var w = new Workload(size, 1, 64, TimeSpan.FromSeconds(3));
            var ratios = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                // Which system goes first alternates too, so neither always meets a freshly idle disk.
                Measurement es, unfilled, sqlite;
                if (round % 2 == 0)
                {
                    es = await EdgeStreamLogBench.DurableBatchesAsync(fresh(), "group", w, ct);
                    unfilled = await EdgeStreamLogBench.DurableBatchesAsync(fresh(), "group", w, ct, zeroFill: false);
                    sqlite = await SqliteBench.DurableBatchesAsync(fresh(), w, ct);
                }
                else
                {
                    sqlite = await SqliteBench.DurableBatchesAsync(fresh(), w, ct);
                    unfilled = await EdgeStreamLogBench.DurableBatchesAsync(fresh(), "group", w, ct, zeroFill: false);
                    es = await EdgeStreamLogBench.DurableBatchesAsync(fresh(), "group", w, ct);
                }
                var ratio = es.RecordsPerSecond / sqlite.RecordsPerSecond;
                ratios.Add(ratio);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {Report.Label(w),-24} round {round + 1}: EdgeStream {es.RecordsPerSecond,10:N0} (no zero fill {unfilled.RecordsPerSecond,10:N0})  SQLite {sqlite.RecordsPerSecond,10:N0} rec/s  ratio {ratio:0.00} ({unfilled.RecordsPerSecond / sqlite.RecordsPerSecond:0.00})"));
            }
            ratios.Sort();
            var median = ratios[ratios.Count / 2];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(median >= 1 ? "MET " : "MISS")}  one appender, group ≥ SQLite WAL, {Report.Label(w)}: median ratio {median:0.00} (range {ratios[0]:0.00}–{ratios[^1]:0.00})"));
        }
        return 0;
    }
}
