using System.Diagnostics;
using System.Globalization;

namespace EdgeStream.Log.Tests;

/// <summary>
/// Random sequences of appends from several producers, durability waits, a forwarder reading from its cursor, crashes
/// and power cuts (<see cref="PowerCutDisk"/>), each followed by a restart with recovery. Seeded: a failure names its
/// seed; <c>EDGESTREAM_POWERCUT_SEED=n</c> replays (thread timing still varies, so a replay may need a few runs).
/// </summary>
[Trait("Category", "Slow")]
public class PowerCutTests
{
    private const string Topic = "t";
    private const string Forwarder = "fwd";
    private const int Partitions = 2;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Acknowledged_and_forwarded_records_survive_any_sequence_of_crashes_and_power_cuts()
    {
        var seed = Environment.GetEnvironmentVariable("EDGESTREAM_POWERCUT_SEED") is { } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : 20261130;
        var clock = Stopwatch.StartNew();
        var runs = 0;
        var (crashes, cuts) = (0, 0);
        for (; runs < 12 && clock.Elapsed < TimeSpan.FromSeconds(6); runs++)
        {
            var runSeed = seed + runs;
            try
            {
                var scenario = new Scenario(runSeed);
                await scenario.RunAsync(operations: 70);
                crashes += scenario.Crashes;
                cuts += scenario.PowerCuts;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Assert.Fail($"seed {runSeed} (replay with EDGESTREAM_POWERCUT_SEED={runSeed}): {e}");
            }
        }
        Assert.True(crashes > 0 && cuts > 0, $"{runs} runs had {crashes} crashes and {cuts} power cuts");
    }

    [Theory]
    [InlineData("topics")] // the topic's own entry
    [InlineData("0")] // its partition's entry in the topic directory
    public async Task A_topic_whose_creation_a_crash_interrupted_keeps_what_a_later_process_stored_in_it_through_a_power_cut(string diedBeforeSyncing)
    {
        using var dir = new TempDir();
        var disk = new PowerCutDisk(dir.Path);
        var options = LogTestKit.Options(dir.Path);
        var first = disk.NewProcess();
        first.BeforeSyncDirectory = path =>
        {
            if (Path.GetFileName(path) == diedBeforeSyncing)
            {
                disk.Kill();
            }
        };
        var creator = await LogStore.OpenAsync(options, first, null, null, default).WaitAsync(Hang);
        await Assert.ThrowsAnyAsync<Exception>(async () => await creator.AppendBatchAsync("out", 0, [LogTestKit.Text("lost with the crash")]));
        await creator.DisposeAsync().AsTask().WaitAsync(Hang);

        var second = await LogStore.OpenAsync(options, disk.NewProcess(), null, null, default).WaitAsync(Hang);
        var stored = await second.AppendBatchAsync("out", 0, [LogTestKit.Text("a"), LogTestKit.Text("b")]);
        await second.WaitForDurableAsync("out", 0, stored.LastOffset).AsTask().WaitAsync(Hang);
        disk.PowerCut();
        await second.DisposeAsync().AsTask().WaitAsync(Hang);

        await using var third = await LogStore.OpenAsync(options, disk.NewProcess(), null, null, default).WaitAsync(Hang);
        var read = third.GetTopic("out") is null ? [] : third.Read("out", 0, 0, ReadLimits.Default).Records;
        Assert.Equal(["a", "b"], read.Select(r => r.Text()));
    }

    [Theory]
    [InlineData("cursors")] // the cursor name's entry
    [InlineData(Forwarder)] // the entry of the cursor's topic in the name's directory
    public async Task A_cursor_whose_first_commit_a_crash_interrupted_keeps_what_a_later_process_committed_through_a_power_cut(string diedBeforeSyncing)
    {
        using var dir = new TempDir();
        var disk = new PowerCutDisk(dir.Path);
        var options = LogTestKit.Options(dir.Path);
        var first = disk.NewProcess();
        var creator = await LogStore.OpenAsync(options, first, null, null, default).WaitAsync(Hang);
        var stored = await creator.AppendBatchAsync(Topic, 0, [LogTestKit.Text("a"), LogTestKit.Text("b"), LogTestKit.Text("c")]);
        await creator.WaitForDurableAsync(Topic, 0, stored.LastOffset).AsTask().WaitAsync(Hang);
        first.BeforeSyncDirectory = path =>
        {
            if (Path.GetFileName(path) == diedBeforeSyncing)
            {
                disk.Kill();
            }
        };
        await Assert.ThrowsAnyAsync<Exception>(() => creator.CommitCursorAsync(Forwarder, Topic, 0, 1).WaitAsync(Hang));
        await creator.DisposeAsync().AsTask().WaitAsync(Hang);

        var second = await LogStore.OpenAsync(options, disk.NewProcess(), null, null, default).WaitAsync(Hang);
        Assert.Equal(1, second.GetCursor(Forwarder, Topic, 0)); // the crashed process's page cache
        await second.CommitCursorAsync(Forwarder, Topic, 0, 3).WaitAsync(Hang);
        disk.PowerCut();
        await second.DisposeAsync().AsTask().WaitAsync(Hang);

        // Lost, the cursor would start over from its sink's start position: with "latest", past records never sent.
        await using var third = await LogStore.OpenAsync(options, disk.NewProcess(), null, null, default).WaitAsync(Hang);
        Assert.Equal(3, third.GetCursor(Forwarder, Topic, 0));
    }

    private sealed class Scenario(int seed)
    {
        private readonly Random _random = new(seed);
        private readonly Dictionary<(int, long), string> _acknowledged = [];
        private readonly Dictionary<(int, long), string> _served = [];
        private readonly Dictionary<(int, long), string> _sent = [];
        private readonly List<(int Partition, long Offset, string Value)> _pending = [];
        private readonly List<string> _history = [];
        private TempDir _dir = null!;
        private PowerCutDisk _disk = null!;
        private LogOptions _options = null!;
        private LogStore _store = null!;

        public int Crashes { get; private set; }

        public int PowerCuts { get; private set; }

        public async Task RunAsync(int operations)
        {
            using var dir = _dir = new TempDir();
            _disk = new PowerCutDisk(dir.Path);
            _options = LogTestKit.Options(dir.Path, _random.Next(2) == 0 ? "group" : "interval:15ms", s =>
            {
                s.Partitions = Partitions;
                s.SegmentBytes = 4096;
                s.IndexIntervalBytes = 512;
            });
            _options.Topics[Topic] = _options.Defaults;
            _store = await OpenAsync();
            try
            {
                for (var op = 0; op < operations; op++)
                {
                    var roll = _random.Next(100);
                    if (roll < 35)
                    {
                        await AppendAsync(op);
                    }
                    else if (roll < 55)
                    {
                        await AcknowledgeAsync();
                    }
                    else if (roll < 80)
                    {
                        await ForwardAsync();
                    }
                    else if (roll < 90)
                    {
                        _history.Add("crash");
                        Crashes++;
                        _disk.Kill();
                        await RestartAsync();
                    }
                    else
                    {
                        _history.Add("power cut");
                        PowerCuts++;
                        _disk.PowerCut(_random.Next(2) == 0 ? _random : null);
                        _history.AddRange(_disk.LastCut.Select(c => "  " + c));
                        await RestartAsync();
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException("after: " + string.Join(" | ", _history.TakeLast(40)), e);
            }
            finally
            {
                _disk.Kill();
                await CloseDeadAsync(_store);
            }
        }

        private async Task AppendAsync(int op)
        {
            var producers = _random.Next(1, 5);
            var plans = Enumerable.Range(0, producers).Select(w => (
                Partition: _random.Next(Partitions),
                Values: Enumerable.Range(0, _random.Next(1, 4))
                    .Select(i => $"s{seed}-o{op}-w{w}-{i}-" + new string((char)('a' + _random.Next(26)), _random.Next(0, 400)))
                    .ToList())).ToList();
            var results = await Task.WhenAll(plans.Select(plan => Task.Run(async () =>
            {
                var result = await _store.AppendBatchAsync(Topic, plan.Partition, [.. plan.Values.Select(v => LogTestKit.Text(v))]);
                return (plan, result);
            })));
            foreach (var (plan, result) in results)
            {
                for (var i = 0; i < plan.Values.Count; i++)
                {
                    _pending.Add((plan.Partition, result.BaseOffset + i, plan.Values[i]));
                }
            }
            _history.Add($"append {results.Sum(r => r.plan.Values.Count)}");
        }

        private async Task AcknowledgeAsync()
        {
            foreach (var (partition, offset, value) in _pending)
            {
                await _store.WaitForDurableAsync(Topic, partition, offset).AsTask().WaitAsync(Hang);
                Check(!_acknowledged.TryGetValue((partition, offset), out var earlier) || earlier == value,
                    $"{partition}/{offset} acknowledged as '{value}' after '{earlier}' had been");
                _acknowledged[(partition, offset)] = value;
            }
            _history.Add($"ack {_pending.Count}");
            _pending.Clear();
        }

        private async Task ForwardAsync()
        {
            for (var p = 0; p < Partitions; p++)
            {
                var cursor = _store.GetCursor(Forwarder, Topic, p) ?? 0;
                var read = _store.Read(Topic, p, cursor, new ReadLimits(_random.Next(1, 40), 1 << 20));
                foreach (var record in read.Records)
                {
                    Served(p, record);
                    _sent[(p, record.Offset)] = record.Text();
                }
                if (read.NextOffset > cursor)
                {
                    await _store.CommitCursorAsync(Forwarder, Topic, p, read.NextOffset);
                }
                _history.Add($"forward {p}: {cursor}..{read.NextOffset} ({read.Records.Count})");
            }
        }

        private async Task RestartAsync()
        {
            await CloseDeadAsync(_store);
            // Appends whose durability nobody awaited were never acknowledged: they may or may not have survived.
            _pending.Clear();
            _store = await OpenAsync();
            for (var p = 0; p < Partitions; p++)
            {
                var info = _store.GetTopic(Topic)!.Partitions[p];
                var stored = await ReadEverythingAsync(p);
                foreach (var ((partition, offset), value) in _acknowledged.Where(a => a.Key.Item1 == p))
                {
                    Check(stored.TryGetValue(offset, out var back) && back == value,
                        $"acknowledged {partition}/{offset} '{value}' is {(back is null ? "gone" : $"now '{back}'")}");
                }
                foreach (var ((partition, offset), value) in _sent.Where(a => a.Key.Item1 == p))
                {
                    Check(stored.TryGetValue(offset, out var back) && back == value,
                        $"forwarded {partition}/{offset} '{value}' is {(back is null ? "gone" : $"now '{back}'")}");
                }
                var cursor = _store.GetCursor(Forwarder, Topic, p) ?? 0;
                Check(cursor <= info.DurableOffset, $"the forwarder's cursor {cursor} of partition {p} is past the log's end {info.DurableOffset}");
            }
        }

        /// <summary>The pull-API loop: from 0 to the durable end, following NextOffset; it must always progress.</summary>
        private async Task<Dictionary<long, string>> ReadEverythingAsync(int partition)
        {
            var stored = new Dictionary<long, string>();
            long from = 0;
            for (var guard = 0; guard < 100_000; guard++)
            {
                var read = _store.Read(Topic, partition, from, new ReadLimits(100, 1 << 20));
                foreach (var record in read.Records)
                {
                    Served(partition, record);
                    stored[record.Offset] = record.Text();
                }
                if (read.NextOffset >= read.DurableOffset)
                {
                    return stored;
                }
                Check(read.NextOffset > from, $"read of {partition} from {from} made no progress (durable end {read.DurableOffset})");
                from = read.NextOffset;
            }
            throw new InvalidOperationException("read loop did not end");
        }

        private void Served(int partition, StoredRecord record)
        {
            var value = record.Text();
            Check(!_served.TryGetValue((partition, record.Offset), out var earlier) || earlier == value,
                $"offset {partition}/{record.Offset} served as '{value}' after it had been served as '{earlier}'");
            Check(!_acknowledged.TryGetValue((partition, record.Offset), out var acked) || acked == value,
                $"offset {partition}/{record.Offset} served as '{value}' but '{acked}' was acknowledged there");
            _served[(partition, record.Offset)] = value;
        }

        private async Task<LogStore> OpenAsync()
            => await LogStore.OpenAsync(_options, _disk.NewProcess(), null, null, default).WaitAsync(Hang);

        private static async Task CloseDeadAsync(LogStore store)
        {
            // The process is dead: its storage refuses everything, so this only releases handles and the lock.
            await store.DisposeAsync().AsTask().WaitAsync(Hang);
        }

        private static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException(message);
            }
        }
    }
}
