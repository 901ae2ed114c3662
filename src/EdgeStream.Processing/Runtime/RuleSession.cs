using EdgeStream.Log;
using EdgeStream.Processing.Hosting;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Engine;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// One run of a rule, from recovery until it stops or fails; a fault discards the session and the next one recovers
/// from the snapshot again.
/// <para><b>Exactly once against the log.</b> The evaluator is deterministic, so a snapshot (state after consuming the
/// inputs below its positions) plus a replay of the input from those positions reproduces every later output, with the
/// same ids. What can differ after a crash is only which of those outputs reached the disk. So on start the session
/// (1) loads the newest valid snapshot, (2) reads its output partitions from the snapshot's marks (offsets durable at
/// snapshot time, below which every output of the snapshot's past already is) and collects the ids this rule wrote
/// there, (3) appends the snapshot's outbox entries that are not among them, and (4) replays the input from the
/// snapshot's positions, dropping outputs whose id is already written. Idle closes, the only decision not derived
/// from the input (they follow the monotonic clock), are made durable before their outputs: close, snapshot with the
/// results in the outbox, then append. A periodic snapshot first waits until every output appended so far is durable,
/// so its outbox is empty and its marks lie above all of them.</para>
/// Not thread-safe: one task runs it.
/// </summary>
internal sealed class RuleSession
{
    private readonly RuleRunner _runner;
    private readonly RuleDefinition _rule;
    private readonly LogStore _log;
    private readonly RuntimeSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ProcessingMetrics? _counters;
    private readonly SnapshotFile _file;
    private readonly string? _cursorName;
    private readonly SortedDictionary<(string Topic, int Partition), long> _positions = new(PartitionOrder.Instance);
    private readonly Dictionary<(string Topic, int Partition), long> _durableEnds = [];
    private readonly Dictionary<(string Topic, int Partition), long> _pending = [];
    private readonly SortedSet<string> _outputTopics = new(StringComparer.Ordinal);
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    // While replaying what a previous session already wrote: the input positions that session had reached (from the
    // es.inputs headers), and where this session's scan began, which snapshots must not move past until then.
    private readonly Dictionary<(string Topic, int Partition), long> _replayUntil = [];
    private readonly Dictionary<(string Topic, int Partition), long> _scanFrom = [];
    private readonly List<RuleOutput> _outputs = [];
    // Reused by every snapshot: a large windowed state would otherwise allocate a fresh, doubling buffer each time.
    private readonly System.Buffers.ArrayBufferWriter<byte> _state = new();
    private readonly SkipReport _keyTooLong;
    private IRuleEvaluator _evaluator = null!;
    private TimeSpan _clockBase;
    private long _clockStart;
    private long _sequence;
    private long _lastSnapshot;
    private long _lastIdleCheck;
    private bool _dirty;
    private long _suppressed;
    private long _appended;
    private DateTimeOffset? _lastSnapshotAt;

    public RuleSession(RuleRunner runner, RuleDefinition rule, LogStore log, ILogStorage storage, RuntimeSettings settings, TimeProvider time, ILogger logger, ProcessingMetrics? counters)
    {
        _runner = runner;
        _rule = rule;
        _log = log;
        _settings = settings;
        _time = time;
        _logger = logger;
        _counters = counters;
        _file = new SnapshotFile(storage, settings.StateDirectory, rule.Id);
        _keyTooLong = new SkipReport(time);
        _cursorName = TopicName.IsValid("rule." + rule.Id, out _) ? "rule." + rule.Id : null;
        foreach (var t in rule.OutputTopics)
        {
            _outputTopics.Add(t);
        }
    }

    /// <summary>The rule's processing clock: monotonic, continued across restarts from the snapshot's value.</summary>
    private TimeSpan Now => _clockBase + _time.GetElapsedTime(_clockStart);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Publish(RuleState.Recovering);
        await RecoverAsync(cancellationToken).ConfigureAwait(false);
        _lastSnapshot = _lastIdleCheck = _time.GetTimestamp();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = await ProcessBatchAsync(cancellationToken).ConfigureAwait(false);
                // Checked on every turn, idle ones too, so the tail of a streak is reported once its interval is over.
                if (_keyTooLong.TryTake(_evaluator.Stats.SkippedKeyTooLong, out var tooLong))
                {
                    ProcessingLog.KeyTooLong(_logger, _rule.Id, tooLong);
                }
                if (_time.GetElapsedTime(_lastIdleCheck) >= _settings.IdleCheckInterval)
                {
                    _lastIdleCheck = _time.GetTimestamp();
                    await CloseIdleKeysAsync(cancellationToken).ConfigureAwait(false);
                }
                if (_dirty && _time.GetElapsedTime(_lastSnapshot) >= _settings.SnapshotInterval)
                {
                    await SnapshotAsync([], cancellationToken).ConfigureAwait(false);
                }
                Publish(RuleState.Running);
                _runner.Recovered();
                if (read == 0)
                {
                    await WaitForInputAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && _log.IsOpen)
        {
            // A clean stop: a last snapshot makes the next start replay less (correctness does not depend on it).
            if (_dirty)
            {
                await SnapshotAsync([], CancellationToken.None).ConfigureAwait(false);
            }
            throw;
        }
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var snapshots = _file.ReadAll((file, reason) => ProcessingLog.SnapshotDamaged(_logger, _rule.Id, file, reason));
        RuleSnapshot? snapshot = null;
        _evaluator = _rule.CreateEvaluator();
        foreach (var candidate in snapshots)
        {
            try
            {
                _evaluator.RestoreSnapshot(candidate.EvaluatorState);
                snapshot = candidate;
                break;
            }
            catch (InvalidDataException e)
            {
                // E.g. the rule's definition changed: its old state cannot be used, an older one or the beginning can.
                ProcessingLog.SnapshotDamaged(_logger, _rule.Id, $"#{candidate.Sequence}", e.Message);
                _evaluator = _rule.CreateEvaluator();
            }
        }
        var marks = new Dictionary<(string Topic, int Partition), long>();
        if (snapshot is not null)
        {
            _sequence = snapshot.Sequence;
            _clockBase = snapshot.ProcessingTime;
            foreach (var i in snapshot.Inputs)
            {
                _positions[(i.Topic, i.Partition)] = i.NextOffset;
            }
            foreach (var o in snapshot.Outputs)
            {
                marks[(o.Topic, o.Partition)] = o.FromOffset;
                _outputTopics.Add(o.Topic);
            }
            foreach (var o in snapshot.Outbox)
            {
                _outputTopics.Add(o.Topic);
            }
        }
        _clockStart = _time.GetTimestamp();
        await CollectWrittenIdsAsync(marks, cancellationToken).ConfigureAwait(false);
        if (snapshot is { Outbox.Count: > 0 })
        {
            await EmitAsync([.. snapshot.Outbox], closed: null, cancellationToken).ConfigureAwait(false);
        }
        ProcessingLog.RuleStarted(_logger, _rule.Id, snapshot?.Sequence ?? 0, OutputHeaders.FormatInputs(Inputs()), _written.Count);
    }

    /// <summary>Collects the ids this rule already wrote at or after the marks (from the start where none).</summary>
    private async Task CollectWrittenIdsAsync(Dictionary<(string Topic, int Partition), long> marks, CancellationToken cancellationToken)
    {
        foreach (var topic in _outputTopics)
        {
            if (_log.GetTopic(topic) is not { } info)
            {
                continue;
            }
            foreach (var p in info.Partitions)
            {
                // Outputs a previous session of this process appended may not be durable yet, and reads see only
                // durable records: make them so first.
                if (p.NextOffset > p.DurableOffset)
                {
                    await _log.WaitForDurableAsync(topic, p.Partition, p.NextOffset - 1, cancellationToken).ConfigureAwait(false);
                }
                var next = marks.TryGetValue((topic, p.Partition), out var mark) ? mark : p.StartOffset;
                _scanFrom[(topic, p.Partition)] = next;
                while (true)
                {
                    var read = _log.Read(topic, p.Partition, next, new ReadLimits(_settings.MaxBatchRecords, 4 << 20));
                    foreach (var record in read.Records)
                    {
                        // A backfill's records (possibly over a partial range) are not this rule's live outputs:
                        // counting them as written would suppress the live results with the same ids.
                        if (OutputHeaders.Text(record, OutputHeaders.Rule) == _rule.Id && OutputHeaders.Text(record, OutputHeaders.Id) is { } id
                            && record.GetHeader(OutputHeaders.Backfill) is null)
                        {
                            _written.Add(id);
                            if (OutputHeaders.Text(record, OutputHeaders.Inputs) is { } inputs)
                            {
                                foreach (var i in OutputHeaders.ParseInputs(inputs))
                                {
                                    _replayUntil[(i.Topic, i.Partition)] = Math.Max(i.NextOffset, _replayUntil.GetValueOrDefault((i.Topic, i.Partition)));
                                }
                            }
                        }
                    }
                    if (read.NextOffset <= next)
                    {
                        break;
                    }
                    next = read.NextOffset;
                }
            }
        }
    }

    private async Task<int> ProcessBatchAsync(CancellationToken cancellationToken)
    {
        DiscoverInputs();
        var total = 0;
        _outputs.Clear();
        var perPartition = Math.Max(1, _settings.MaxBatchRecords / Math.Max(1, _positions.Count));
        foreach (var key in _positions.Keys.ToList())
        {
            var from = _positions[key];
            var read = _log.Read(key.Topic, key.Partition, from, new ReadLimits(perPartition, 4 << 20));
            var now = Now;
            foreach (var r in read.Records)
            {
                _evaluator.OnRecord(new RuleInput(r.Topic, r.Partition, r.Offset, r.Timestamp, r.Key, r.Value), now, _outputs);
            }
            if (read.Records.Count > 0 && read.Records[0].Offset > from)
            {
                ProcessingLog.InputSkipped(_logger, _rule.Id, key.Topic, key.Partition, from, read.Records[0].Offset);
            }
            _positions[key] = read.NextOffset;
            _durableEnds[key] = read.DurableOffset;
            if (read.NextOffset != from)
            {
                _dirty = true;
            }
            total += read.Records.Count;
        }
        if (_outputs.Count > 0)
        {
            await EmitAsync(_outputs, closed: null, cancellationToken).ConfigureAwait(false);
        }
        if (_replayUntil.Count > 0 && _replayUntil.All(u => _positions.GetValueOrDefault(u.Key) >= u.Value))
        {
            // The replay has passed everything the previous session had consumed: no written id can come back.
            _replayUntil.Clear();
            _written.Clear();
        }
        return total;
    }

    private void DiscoverInputs()
    {
        foreach (var topic in _rule.InputTopics)
        {
            if (_log.GetTopic(topic) is not { } info)
            {
                continue;
            }
            foreach (var p in info.Partitions)
            {
                _positions.TryAdd((topic, p.Partition), p.StartOffset);
                _durableEnds[(topic, p.Partition)] = p.DurableOffset;
            }
        }
    }

    /// <summary>Appends outputs whose ids are not written yet, one batch per output partition, in emission order.</summary>
    private async Task EmitAsync(List<RuleOutput> outputs, IReadOnlyList<string>? closed, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(string Topic, int Partition), List<LogRecord>>();
        var order = new List<(string Topic, int Partition)>();
        foreach (var o in outputs)
        {
            if (_written.Remove(o.Id))
            {
                _suppressed++;
                _counters?.Suppressed(_rule.Id, 1);
                continue;
            }
            var partition = o.Key is { Length: > 0 } k ? _log.PartitionFor(o.Topic, k.Span) : 0;
            if (!groups.TryGetValue((o.Topic, partition), out var list))
            {
                groups[(o.Topic, partition)] = list = [];
                order.Add((o.Topic, partition));
            }
            var record = new LogRecord(o.Value, o.Key, o.Timestamp, [OutputHeaders.Header(OutputHeaders.Rule, _rule.Id), OutputHeaders.Header(OutputHeaders.Id, o.Id)]);
            if (OutputChunks.SizeOf(record) > OutputChunks.MaxRecordBytes)
            {
                // The log could never store it; appending it would fault the rule on every restart. Decided by size
                // alone, so a replay leaves it out the same way.
                ProcessingLog.OutputTooLarge(_logger, _rule.Id, o.Id, o.Topic, OutputChunks.SizeOf(record));
                continue;
            }
            list.Add(record);
        }
        var inputs = OutputHeaders.Header(OutputHeaders.Inputs, OutputHeaders.FormatInputs(Inputs()));
        RecordHeader? closedHeader = closed is null ? null : OutputHeaders.Header(OutputHeaders.Closed, string.Join('\n', closed));
        foreach (var key in order)
        {
            if (groups[key].Count == 0)
            {
                continue;
            }
            // One input batch may yield more than the log takes in one batch: appended in chunks, each ending with
            // es.inputs (the same positions for all; a crash between chunks is covered by suppression by id).
            var chunks = OutputChunks.Split(groups[key], inputs.Value.Length + (closedHeader?.Value.Length ?? 0) + 64);
            for (int c = 0; c < chunks.Count; c++)
            {
                var records = chunks[c];
                var last = records[^1];
                var headers = new List<RecordHeader>(last.Headers) { inputs };
                if (closedHeader is { } h && c == chunks.Count - 1)
                {
                    headers.Add(h);
                }
                records[^1] = new LogRecord(last.Value, last.Key, last.Timestamp, headers);
                var result = await _log.AppendBatchAsync(key.Topic, key.Partition, records, cancellationToken).ConfigureAwait(false);
                _pending[key] = result.LastOffset;
                _outputTopics.Add(key.Topic);
                _appended += records.Count;
                _counters?.Appended(_rule.Id, key.Topic, records.Count);
            }
        }
    }

    private async Task CloseIdleKeysAsync(CancellationToken cancellationToken)
    {
        var idle = _evaluator.CollectIdleKeys(Now);
        if (idle.Count == 0)
        {
            return;
        }
        var keys = idle.ToList();
        var outputs = new List<RuleOutput>();
        _evaluator.CloseKeys(keys, outputs);
        ProcessingLog.KeysClosed(_logger, _rule.Id, keys.Count, outputs.Count);
        // The decision must be durable before any of its outputs is: a replay could not repeat it.
        await SnapshotAsync(outputs, cancellationToken).ConfigureAwait(false);
        await EmitAsync(outputs, keys, cancellationToken).ConfigureAwait(false);
    }

    private async Task SnapshotAsync(IReadOnlyList<RuleOutput> outbox, CancellationToken cancellationToken)
    {
        foreach (var ((topic, partition), last) in _pending)
        {
            await _log.WaitForDurableAsync(topic, partition, last, cancellationToken).ConfigureAwait(false);
        }
        _pending.Clear();
        var marks = new List<OutputMark>();
        foreach (var topic in _outputTopics)
        {
            if (_log.GetTopic(topic) is { } info)
            {
                // Mid-replay, the ids still awaited lie above the scan's start: a later recovery must see them again.
                marks.AddRange(info.Partitions.Select(p => new OutputMark(topic, p.Partition,
                    _replayUntil.Count > 0 && _scanFrom.TryGetValue((topic, p.Partition), out var from) ? from : p.DurableOffset)));
            }
        }
        var state = _state;
        state.ResetWrittenCount();
        _evaluator.WriteSnapshot(state);
        var inputs = Inputs();
        var snapshot = new RuleSnapshot(_sequence + 1, _rule.Id, Now, inputs, marks, outbox, state.WrittenSpan.ToArray());
        _file.Write(snapshot);
        _sequence = snapshot.Sequence;
        _lastSnapshot = _time.GetTimestamp();
        _lastSnapshotAt = _time.GetUtcNow();
        _dirty = false;
        _counters?.Snapshotted(_rule.Id, snapshot.EvaluatorState.Length);
        if (_cursorName is not null)
        {
            // For operators (lag per rule in `log cursors`) and retention: the input a replay may need is kept.
            foreach (var i in inputs)
            {
                await _log.CommitCursorAsync(_cursorName, i.Topic, i.Partition, i.NextOffset, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitForInputAsync(CancellationToken cancellationToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = _positions.Select(p => _log.WaitForRecordsAsync(p.Key.Topic, p.Key.Partition, p.Value, wake.Token)).ToList();
        var tick = _settings.IdleCheckInterval < _settings.SnapshotInterval ? _settings.IdleCheckInterval : _settings.SnapshotInterval;
        waits.Add(Task.Delay(tick, _time, wake.Token));
        await Task.WhenAny(waits).ConfigureAwait(false);
        await wake.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The other waits, cancelled because one finished.
        }
    }

    private List<InputPosition> Inputs() => [.. _positions.Select(p => new InputPosition(p.Key.Topic, p.Key.Partition, p.Value))];

    private void Publish(RuleState state)
    {
        long lag = 0;
        foreach (var (key, next) in _positions)
        {
            if (_durableEnds.TryGetValue(key, out var end))
            {
                lag += Math.Max(0, end - next);
            }
        }
        _runner.Publish(new RuleProgress(state, Inputs(), lag, _evaluator?.Stats, _suppressed, _appended, _lastSnapshotAt));
    }

    private sealed class PartitionOrder : IComparer<(string Topic, int Partition)>
    {
        public static PartitionOrder Instance { get; } = new();

        public int Compare((string Topic, int Partition) x, (string Topic, int Partition) y)
        {
            var c = string.CompareOrdinal(x.Topic, y.Topic);
            return c != 0 ? c : x.Partition.CompareTo(y.Partition);
        }
    }
}
