using System.Text;
using EdgeStream.Log;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Time.Testing;
using static EdgeStream.Processing.Tests.Runtime.RuleHarness;

namespace EdgeStream.Processing.Tests.Runtime;

public class RuleRunnerTests
{
    [Fact]
    public async Task Window_results_are_appended_with_their_rule_id_and_the_input_positions_they_cover()
    {
        using var dir = new TempDir("proc");
        await using var h = await StartAsync(LogOptionsFor(dir.Path), FileLogStorage.Instance, Settings(dir.Path), null, Counting("r1"));
        await h.Log.AppendBatchAsync("in", 0, [Input("a", 1_000), Input("a", 2_000), Input("b", 3_000), Input("a", 11_000), Input("b", 12_000)]);
        await h.Log.FlushAsync();

        await UntilAsync(async () => (await OutputsAsync(h.Log)).Count == 2, "two window results");
        var outputs = await OutputsAsync(h.Log);
        Assert.Equal(["r1/a/0/0", "r1/b/0/0"], outputs.Select(Id).Order(StringComparer.Ordinal));
        Assert.Contains(outputs, o => Text(o) == """{"key":"a","start":0,"count":2}""");
        Assert.All(outputs, o => Assert.Equal("r1", Encoding.UTF8.GetString(o.GetHeader(OutputHeaders.Rule)!.Value.Span)));
        Assert.Contains(outputs, o => o.GetHeader(OutputHeaders.Inputs) is { } inputs && Encoding.UTF8.GetString(inputs.Span) == "in/0/5");
        await UntilAsync(() => Task.FromResult(h.Engine.GetStatus()[0] is { State: RuleState.Running, LagRecords: 0, RecordsIn: 5 }), "status caught up");
    }

    [Fact]
    public async Task A_rule_that_throws_is_faulted_and_restarted_while_another_rule_keeps_running()
    {
        using var dir = new TempDir("proc");
        await using var h = await StartAsync(LogOptionsFor(dir.Path), FileLogStorage.Instance, Settings(dir.Path), null,
            Counting("bad", poison: "boom"), new RuleDefinition("good", ["in"], ["good-out"], () => new CountingEvaluator("good", "good-out", TimeSpan.FromSeconds(10))));
        await h.Log.AppendBatchAsync("in", 0, [Input("a", 1_000), Input("a", 2_000, "boom"), Input("a", 11_000)]);
        await h.Log.FlushAsync();

        await UntilAsync(async () => (await OutputsAsync(h.Log, "good-out")).Count == 1, "the healthy rule's output");
        await UntilAsync(() => Task.FromResult(h.Engine.GetStatus().Single(s => s.Id == "bad") is { State: RuleState.Faulted, Faults: >= 2 }), "the bad rule faulted and retried");
        var bad = h.Engine.GetStatus().Single(s => s.Id == "bad");
        Assert.Contains("poison record", bad.Fault);
        Assert.Null(h.Engine.GetStatus().Single(s => s.Id == "good").Fault);
    }

    [Fact]
    public async Task Outputs_of_one_batch_beyond_the_logs_batch_limit_are_appended_in_several_batches_instead_of_faulting_the_rule()
    {
        using var dir = new TempDir("proc");
        // One record closes 1000 hopping windows at once; with a 36 000-character key each result is ~72 KB, so the
        // batch's results (~72 MB) exceed the log's 64 MiB batch limit.
        var rule = new RuleOptions
        {
            Id = "wide",
            From = new FromOptions { Topic = "in" },
            Time = new TimeOptions { Field = "/ts" },
            Window = new WindowOptions { Type = "hopping", Size = TimeSpan.FromSeconds(1000), Hop = TimeSpan.FromSeconds(1) },
            GroupBy = ["/sensor"],
            Aggregate = new() { ["n"] = "count()" },
            To = new ToOptions { Topic = "out" },
            // Far beyond the default bound, but allowed: large keys make large results without many records.
            MaxKeyBytes = 36_000,
        };
        var sensor = new string('k', 36_000);
        await using var h = await StartAsync(LogOptionsFor(dir.Path), FileLogStorage.Instance, Settings(dir.Path), null,
            Microsoft.Extensions.DependencyInjection.ProcessingServiceCollectionExtensions.Definition(rule));
        await h.Log.AppendBatchAsync("in", 0,
        [
            new LogRecord(Encoding.UTF8.GetBytes("{\"sensor\":\"" + sensor + "\",\"ts\":0}")),
            new LogRecord(Encoding.UTF8.GetBytes("{\"sensor\":\"" + sensor + "\",\"ts\":2000000}")),
        ]);
        await h.Log.FlushAsync();

        await UntilAsync(async () => (await OutputsAsync(h.Log)).Count >= 1000 || h.Engine.GetStatus()[0].Faults > 0, "the window results or a fault");
        var status = h.Engine.GetStatus()[0];
        Assert.Null(status.Fault);
        Assert.Equal(0, status.Faults);
        var outputs = await OutputsAsync(h.Log);
        Assert.Equal(1000, outputs.Select(Id).Distinct().Count());
        Assert.Equal("in/0/2", OutputHeaders.Text(outputs[^1], OutputHeaders.Inputs));
    }

    [Fact]
    public async Task Outbox_entries_of_the_snapshot_are_appended_on_start_unless_already_written()
    {
        using var dir = new TempDir("proc");
        var settings = Settings(dir.Path);
        var options = LogOptionsFor(dir.Path);
        await using (var log = await LogStore.OpenAsync(options))
        {
            await log.AppendAsync("out", new LogRecord("done"u8.ToArray(), "k"u8.ToArray(), null,
                [OutputHeaders.Header(OutputHeaders.Rule, "r1"), OutputHeaders.Header(OutputHeaders.Id, "r1/k/0/0")]));
            await log.FlushAsync();
        }
        var state = new System.Buffers.ArrayBufferWriter<byte>();
        new CountingEvaluator("r1", "out", TimeSpan.FromSeconds(10)).WriteSnapshot(state);
        new SnapshotFile(FileLogStorage.Instance, settings.StateDirectory, "r1").Write(new RuleSnapshot(1, "r1", TimeSpan.Zero, [], [new OutputMark("out", 0, 0)],
            [Output("r1/k/0/0", "done"), Output("r1/j/0/0", "new")], state.WrittenSpan.ToArray()));

        await using var h = await StartAsync(options, FileLogStorage.Instance, settings, null, Counting("r1"));
        await UntilAsync(async () => (await OutputsAsync(h.Log)).Count >= 2, "the outbox entry");
        await h.StopAsync();
        var outputs = await OutputsAsync(h.Log);
        Assert.Equal(["r1/j/0/0", "r1/k/0/0"], outputs.Select(Id).Order(StringComparer.Ordinal));

        static RuleOutput Output(string id, string value) => new("out", id, "k"u8.ToArray(), Encoding.UTF8.GetBytes(value), DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task Records_a_backfill_wrote_into_the_output_topic_do_not_suppress_the_live_rules_outputs_with_the_same_ids()
    {
        using var dir = new TempDir("proc");
        var options = LogOptionsFor(dir.Path);
        await using (var log = await LogStore.OpenAsync(options))
        {
            // `rules backfill --force` over a partial range: same id as the live window, another value.
            await log.AppendAsync("out", new LogRecord("partial"u8.ToArray(), "a"u8.ToArray(), null,
                [OutputHeaders.Header(OutputHeaders.Rule, "r1"), OutputHeaders.Header(OutputHeaders.Id, "r1/a/0/0"), OutputHeaders.Header(OutputHeaders.Backfill, "true")]));
            await log.FlushAsync();
        }

        await using var h = await StartAsync(options, FileLogStorage.Instance, Settings(dir.Path), null, Counting("r1"));
        await h.Log.AppendBatchAsync("in", 0, [Input("a", 1_000), Input("a", 2_000), Input("a", 11_000)]);
        await h.Log.FlushAsync();

        await UntilAsync(async () => (await OutputsAsync(h.Log)).Count == 2, "the live window result beside the backfilled one");
        await UntilAsync(() => Task.FromResult(h.Engine.GetStatus()[0] is { LagRecords: 0, RecordsIn: 3 }), "the rule caught up");
        var outputs = await OutputsAsync(h.Log);
        Assert.Equal(["partial", """{"key":"a","start":0,"count":2}"""], outputs.Select(Text));
        Assert.Equal(0, h.Engine.GetStatus()[0].Suppressed);
    }

    [Fact]
    public async Task An_idle_close_is_snapshotted_with_its_results_before_they_are_appended()
    {
        using var dir = new TempDir("proc");
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        var settings = Settings(dir.Path, snapshotInterval: TimeSpan.FromHours(1), idleCheck: TimeSpan.FromSeconds(1));
        await using var h = await StartAsync(LogOptionsFor(dir.Path), FileLogStorage.Instance, settings, time, Counting("r1", idle: TimeSpan.FromMinutes(1)));
        await h.Log.AppendBatchAsync("in", 0, [Input("quiet", 1_000), Input("quiet", 2_000)]);
        await h.Log.FlushAsync();
        await UntilAsync(() => Task.FromResult(h.Engine.GetStatus()[0].RecordsIn == 2), "records consumed");

        await UntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(30));
            return (await OutputsAsync(h.Log)).Count == 1;
        }, "the idle key's window closed");

        var output = Assert.Single(await OutputsAsync(h.Log));
        Assert.Equal("quiet", Encoding.UTF8.GetString(output.GetHeader(OutputHeaders.Closed)!.Value.Span));
        var snapshot = new SnapshotFile(FileLogStorage.Instance, settings.StateDirectory, "r1").ReadAll((_, _) => { })[0];
        Assert.Equal("r1/quiet/0/0", Assert.Single(snapshot.Outbox).Id);
        Assert.Equal([new InputPosition("in", 0, 2)], snapshot.Inputs);
    }

    [Fact]
    public void A_snapshot_a_restarted_rule_recovered_from_is_still_there_after_a_power_cut()
    {
        using var dir = new TempDir("proc");
        var disk = new PowerCutDisk(dir.Path);
        var state = Path.Combine(dir.Path, "processing");
        static RuleSnapshot Snapshot(long sequence) => new(sequence, "r1", TimeSpan.Zero, [new InputPosition("in", 0, sequence * 10)], [], [], [1]);
        new SnapshotFile(disk.NewProcess(), state, "r1").Write(Snapshot(1));
        // Killed after renaming its next snapshot into place, before the directory's fsync.
        var crashing = disk.NewProcess();
        crashing.BeforeSyncDirectory = path =>
        {
            if (Path.GetFullPath(path) == Path.GetFullPath(state))
            {
                disk.Kill();
            }
        };
        Assert.ThrowsAny<Exception>(() => new SnapshotFile(crashing, state, "r1").Write(Snapshot(2)));

        Assert.Equal(2, new SnapshotFile(disk.NewProcess(), state, "r1").ReadAll((_, _) => { })[0].Sequence);
        disk.PowerCut();

        Assert.Equal(2, new SnapshotFile(disk.NewProcess(), state, "r1").ReadAll((_, _) => { })[0].Sequence);
    }

    [Fact]
    public void A_damaged_newest_snapshot_falls_back_to_the_older_one_and_names_never_come_from_the_rule_id()
    {
        using var dir = new TempDir("proc");
        var state = Path.Combine(dir.Path, "processing");
        var file = new SnapshotFile(FileLogStorage.Instance, state, "../../etc/passwd");
        file.Write(new RuleSnapshot(1, "../../etc/passwd", TimeSpan.FromSeconds(1), [new InputPosition("in", 0, 10)], [], [], [1, 2, 3]));
        file.Write(new RuleSnapshot(2, "../../etc/passwd", TimeSpan.FromSeconds(2), [new InputPosition("in", 0, 20)], [], [], [4, 5, 6]));
        Assert.Equal(2, file.ReadAll((_, _) => { })[0].Sequence);

        var files = Directory.GetFiles(state);
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.Matches("^[0-9a-f]{64}\\.[ab]\\.snap$", Path.GetFileName(f)));
        var newest = files.Single(f => f.EndsWith(".a.snap", StringComparison.Ordinal));
        var bytes = File.ReadAllBytes(newest);
        bytes[^2] ^= 0xFF;
        File.WriteAllBytes(newest, bytes);

        var damaged = new List<string>();
        var found = file.ReadAll((name, reason) => damaged.Add(reason));
        Assert.Equal(1, Assert.Single(found).Sequence);
        Assert.Equal([new InputPosition("in", 0, 10)], found[0].Inputs);
        Assert.Equal(["checksum mismatch"], damaged);
    }
}
