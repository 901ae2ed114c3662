using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Runtime;
using static EdgeStream.Processing.Tests.Runtime.RuleHarness;

namespace EdgeStream.Processing.Tests.Runtime;

/// <summary>
/// The exactly-once proof: a windowed rule runs while its input is appended, and the process crashes or loses power
/// (<see cref="PowerCutDisk"/>: everything not fsynced is gone, torn pages included) at random points, then restarts
/// and recovers. At the end the rule's output topic must hold exactly the outputs of one uninterrupted run over the
/// same input: every id once, with the same value. Seeded: a failure names its seed;
/// <c>EDGESTREAM_PROCESSING_SEED=n</c> replays it (thread timing still varies). Bounded to about 8 s.
/// </summary>
public class ExactlyOnceTests
{
    private const int Partitions = 2;
    private const int Keys = 12;

    [Fact]
    public async Task Rule_output_after_random_crashes_and_power_cuts_equals_one_uninterrupted_run()
    {
        var seed = Environment.GetEnvironmentVariable("EDGESTREAM_PROCESSING_SEED") is { } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : 20261130;
        var clock = Stopwatch.StartNew();
        var (runs, crashes, cuts, replayed) = (0, 0, 0, 0L);
        for (; runs < 8 && clock.Elapsed < TimeSpan.FromSeconds(7); runs++)
        {
            var scenario = new Scenario(seed + runs);
            try
            {
                await scenario.RunAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Assert.Fail($"seed {seed + runs} (replay with EDGESTREAM_PROCESSING_SEED={seed + runs}): {e}");
            }
            crashes += scenario.Crashes;
            cuts += scenario.PowerCuts;
            replayed += scenario.Suppressed;
        }
        Assert.True(crashes > 0 && cuts > 0 && replayed > 0, $"{runs} runs had {crashes} crashes, {cuts} power cuts and suppressed {replayed} replayed outputs");
    }

    private sealed class Scenario(int seed)
    {
        private readonly Random _random = new(seed);
        private readonly List<string> _history = [];

        public int Crashes { get; private set; }

        public int PowerCuts { get; private set; }

        public long Suppressed { get; private set; }

        public async Task RunAsync()
        {
            var plan = Plan();
            var expected = Expected(plan);
            using var dir = new TempDir("proc-eo");
            var disk = new PowerCutDisk(dir.Path);
            var options = LogOptionsFor(dir.Path, Partitions, _random.Next(2) == 0 ? "group" : "interval:5ms");
            var rule = new RuleDefinition("eo", ["in"], ["out"], () => new CountingEvaluator("eo", "out", TimeSpan.FromSeconds(10)));
            var faults = _random.Next(2, 6);
            try
            {
                for (var life = 0; ; life++)
                {
                    var settings = Settings(dir.Path, snapshotInterval: TimeSpan.FromMilliseconds(_random.Next(0, 30)), maxBatch: _random.Next(1, 60));
                    await using var h = await StartAsync(options, disk.NewProcess(), settings, null, rule);
                    using var producing = new CancellationTokenSource();
                    var producer = ProduceAsync(h.Log, plan, _random.Next(1, 25), producing.Token);
                    if (life < faults)
                    {
                        await Task.Delay(_random.Next(1, 40));
                        if (_random.Next(2) == 0)
                        {
                            Crashes++;
                            _history.Add("crash");
                            disk.Kill();
                        }
                        else
                        {
                            PowerCuts++;
                            _history.Add("power cut");
                            disk.PowerCut(_random.Next(2) == 0 ? _random : null);
                        }
                        await producing.CancelAsync();
                        await producer.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                        Suppressed += h.Engine.GetStatus()[0].Suppressed;
                        continue;
                    }
                    await producer.WaitAsync(Hang);
                    await UntilAsync(() => Task.FromResult(h.Engine.Runners[0].Progress.Inputs.Sum(i => i.NextOffset) == plan.Sum(p => p.Count)), "the rule consumed all input");
                    await h.StopAsync();
                    await h.Log.FlushAsync();
                    Suppressed += h.Engine.GetStatus()[0].Suppressed;
                    var outputs = (await OutputsAsync(h.Log)).Select(o => (Id: Id(o), Value: Text(o))).ToList();
                    var twice = outputs.GroupBy(o => o.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                    Assert.True(twice.Count == 0, $"ids written more than once: {string.Join(", ", twice.Take(5))}");
                    var missing = expected.Except(outputs).ToList();
                    var extra = outputs.Except(expected).ToList();
                    Assert.True(missing.Count == 0 && extra.Count == 0,
                        $"{outputs.Count} outputs vs {expected.Count} expected; missing {string.Join(", ", missing.Take(3))}; unexpected {string.Join(", ", extra.Take(3))}; "
                        + $"out: {(h.Log.GetTopic("out") is { } o ? string.Join(" ", o.Partitions) : "no topic")}; status: {h.Engine.GetStatus()[0]}");
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException("after: " + string.Join(" | ", _history), e);
            }
        }

        /// <summary>The input per partition: keys pinned to a partition, log time mostly rising per key, some late.</summary>
        private List<List<(string Key, long Ms)>> Plan()
        {
            var plan = Enumerable.Range(0, Partitions).Select(_ => new List<(string, long)>()).ToList();
            var times = new long[Keys];
            for (var i = 0; i < 500; i++)
            {
                var k = _random.Next(Keys);
                times[k] += _random.Next(0, 4_000);
                var ms = _random.Next(25) == 0 ? Math.Max(0, times[k] - 15_000) : times[k];
                plan[k % Partitions].Add(("k" + k.ToString(CultureInfo.InvariantCulture), ms));
            }
            return plan;
        }

        /// <summary>One uninterrupted evaluation of the same input: the reference output.</summary>
        private static List<(string Id, string Value)> Expected(List<List<(string Key, long Ms)>> plan)
        {
            var evaluator = new CountingEvaluator("eo", "out", TimeSpan.FromSeconds(10));
            var outputs = new List<RuleOutput>();
            for (var p = 0; p < plan.Count; p++)
            {
                for (var i = 0; i < plan[p].Count; i++)
                {
                    var r = Input(plan[p][i].Key, plan[p][i].Ms);
                    evaluator.OnRecord(new RuleInput("in", p, i, r.Timestamp!.Value, r.Key, r.Value), TimeSpan.Zero, outputs);
                }
            }
            return [.. outputs.Select(o => (o.Id, Encoding.UTF8.GetString(o.Value.Span)))];
        }

        /// <summary>Appends what the log does not hold yet (it lost the undurable tail at a power cut), in small batches.</summary>
        private static async Task ProduceAsync(LogStore log, List<List<(string Key, long Ms)>> plan, int batch, CancellationToken cancellationToken)
        {
            await Task.Yield();
            var next = log.GetTopic("in")!.Partitions.Select(p => (int)p.NextOffset).ToArray();
            while (!cancellationToken.IsCancellationRequested && Enumerable.Range(0, plan.Count).Any(p => next[p] < plan[p].Count))
            {
                for (var p = 0; p < plan.Count; p++)
                {
                    var take = plan[p].Skip(next[p]).Take(batch).Select(x => Input(x.Key, x.Ms)).ToList();
                    if (take.Count == 0)
                    {
                        continue;
                    }
                    var result = await log.AppendBatchAsync("in", p, take, cancellationToken);
                    next[p] = (int)result.LastOffset + 1;
                }
            }
            await log.FlushAsync(cancellationToken);
        }
    }
}
