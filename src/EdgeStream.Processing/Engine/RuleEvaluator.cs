using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeStream.Processing.Aggregates;
using EdgeStream.Processing.Expressions;
using EdgeStream.Processing.Json;
using EdgeStream.Processing.Windows;

namespace EdgeStream.Processing.Engine;

/// <summary>
/// The evaluator of one compiled rule (see <see cref="IRuleEvaluator"/> for the promise: deterministic, no clock, no I/O).
/// Per record: parse the needed fields in one pass, take the event time, apply future skew, filter, find the key, then
/// either the per-record stages (map/select, deadband, alert) or the window stage. Keys are kept in least-recently-seen
/// order, which also orders evictions, so nothing depends on hash order. Not thread-safe.
/// </summary>
internal sealed partial class RuleEvaluator : IRuleEvaluator
{
    // DateTimeOffset's range in Unix milliseconds.
    private const long MinTimeMs = -62_135_596_800_000;
    private const long MaxTimeMs = 253_402_300_799_999;

    private readonly CompiledRule _rule;
    private readonly FieldExtractor _fields;
    private readonly Dictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeyState>.AlternateLookup<ReadOnlySpan<char>> _keyLookup;
    private readonly LinkedList<KeyState> _lru = new();
    private readonly ArrayBufferWriter<byte> _json = new(512);
    private readonly Utf8JsonWriter _writer;
    private char[] _keyChars = new char[128];
    private int _windowCount;
    private long _in, _out, _skipped, _late, _clamped, _filtered, _evictedKeys, _evictedWindows;

    // Records skipped for a group key over MaxKeyBytes (also in _skipped, which is saved). Not in the snapshot: it only
    // tells the runtime that there is something to log, which does not justify a new snapshot version.
    private long _keyTooLong;

    // The group keys' strings held, for an honest state size: a key's size is up to MaxKeyBytes, not a constant.
    private long _keyStringBytes;
    private long _tombstoneBytes;

    // Evicted keys' closed-before times (at most MaxKeys, oldest forgotten first): a key that comes back after an
    // eviction treats its already emitted windows as closed, so it cannot emit a window id a second time as revision 0.
    // The order queue holds the last MaxKeys evictions; a key that came back and was evicted again is in it twice, so
    // a tombstone is forgotten only when the key's last entry leaves the queue (_tombstoneEntries counts the entries).
    private readonly Dictionary<string, long> _tombstones = new(StringComparer.Ordinal);
    private readonly Queue<string> _tombstoneOrder = new();
    private readonly Dictionary<string, int> _tombstoneEntries = new(StringComparer.Ordinal);

    // Windows given back after their last use, reused by NewWindow (at most MaxSpareWindows). A key opens its next window
    // just before it closes the previous one, so a few spares serve a whole rule: without them every window (a quantile
    // sketch each) would be a mid-lived object that outlives the young GC generations and bloats the process's RSS.
    private const int MaxSpareWindows = 256;
    private readonly Stack<WindowState> _spareWindows = new();
    private readonly byte[][] _emptyAccumulators;

    // Count windows are numbered per rule, so a key that was evicted and comes back gets new ids.
    private long _nextCountSeq;
    private TimeSpan? _restoreBase;

    public RuleEvaluator(CompiledRule rule)
    {
        _rule = rule;
        _fields = rule.Fields;
        _keyLookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        _writer = new Utf8JsonWriter(_json, new JsonWriterOptions { SkipValidation = true });
        // Each aggregate's empty state as its Save writes it: Load restores every field, so loading it resets a spare.
        _emptyAccumulators = new byte[rule.Aggregates.Length][];
        for (int i = 0; i < _emptyAccumulators.Length; i++)
        {
            var empty = new ArrayBufferWriter<byte>(64);
            Accumulator.Create(rule.Aggregates[i]).Save(new SnapshotWriter(empty));
            _emptyAccumulators[i] = empty.WrittenSpan.ToArray();
        }
    }

    /// <inheritdoc />
    public string RuleId => _rule.Id;

    /// <summary>Records the Where filter dropped.</summary>
    public long Filtered => _filtered;

    /// <summary>Keys evicted at the MaxKeys bound.</summary>
    public long EvictedKeys => _evictedKeys;

    /// <summary>Windows closed early or dropped at the MaxOpenWindows bound.</summary>
    public long EvictedWindows => _evictedWindows;

    /// <inheritdoc />
    public RuleStats Stats => new(_in, _out, _skipped, _late, _clamped, _keys.Count, _windowCount,
        (_keys.Count * 160L) + _keyStringBytes + _tombstoneBytes + (_windowCount * (64L + (48L * _rule.Aggregates.Length))),
        _evictedKeys, _evictedWindows, _keyTooLong);

    /// <inheritdoc />
    public void OnRecord(in RuleInput input, TimeSpan processingTime, List<RuleOutput> outputs)
    {
        _in++;
        _restoreBase ??= processingTime;
        var value = input.Value.Span;
        if (!_fields.Extract(value))
        {
            _skipped++;
            return;
        }
        long logMs = input.LogTimestamp.ToUnixTimeMilliseconds();
        long t = logMs;
        if (_rule.TimeSlot >= 0)
        {
            ref readonly var tv = ref _fields.Values[_rule.TimeSlot];
            if ((tv.Kind == FieldKind.Number || (tv.Kind == FieldKind.String && tv.IsTime)) && tv.Number is >= MinTimeMs and <= MaxTimeMs)
            {
                t = (long)tv.Number;
            }
            else
            {
                _skipped++;
                return;
            }
        }
        if (_rule.MaxFutureSkewMs > 0 && t > logMs + _rule.MaxFutureSkewMs)
        {
            _clamped++;
            if (_rule.FutureSkewToSide)
            {
                EmitSide(input, t, outputs);
                return;
            }
            t = logMs + _rule.MaxFutureSkewMs;
        }
        if (_rule.Where is { } where)
        {
            try
            {
                if (!where.Eval(_fields).IsTrue)
                {
                    _filtered++;
                    return;
                }
            }
            catch (ExpressionEvaluationException)
            {
                _skipped++;
                return;
            }
        }
        var key = FindKey(processingTime, outputs, out bool keyTooLong);
        if (key is null)
        {
            _skipped++;
            if (keyTooLong)
            {
                _keyTooLong++;
            }
            return;
        }
        switch (_rule.Window)
        {
            case WindowType.None:
                PerRecord(input, key, t, outputs);
                break;
            case WindowType.Tumbling:
            case WindowType.Hopping:
                TimeWindows(input, key, t, outputs);
                break;
            case WindowType.Session:
                Session(input, key, t, outputs);
                break;
            case WindowType.Count:
                CountWindow(key, t, outputs);
                break;
            default:
                SlidingWindow(input, key, t, outputs);
                break;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> CollectIdleKeys(TimeSpan processingTime)
    {
        // Restored keys count as seen at the first processing time after the restore (the snapshot's processing
        // times belong to another process). Fixing that base changes no output.
        _restoreBase ??= processingTime;
        var idle = new List<string>();
        foreach (var key in _lru)
        {
            if (key.Open.Count == 0)
            {
                continue;
            }
            var last = key.LastSeen == TimeSpan.MinValue ? _restoreBase.Value : key.LastSeen;
            if (processingTime - last >= _rule.IdleTimeout)
            {
                idle.Add(key.Key);
            }
        }
        return idle;
    }

    /// <inheritdoc />
    public void CloseKeys(IReadOnlyList<string> keys, List<RuleOutput> outputs)
    {
        foreach (var k in keys)
        {
            if (_keys.TryGetValue(k, out var key))
            {
                CloseAll(key, outputs, retain: true);
            }
        }
    }

    // ---- keys ----

    /// <summary>The record's key, found or created; null when a group field is missing or not a scalar, or when the
    /// key is over MaxKeyBytes (<paramref name="tooLong"/>).</summary>
    private KeyState? FindKey(TimeSpan processingTime, List<RuleOutput> outputs, out bool tooLong)
    {
        tooLong = false;
        int n = 0;
        int maxBytes = _rule.Options.MaxKeyBytes;
        var slots = _rule.GroupSlots;
        for (int i = 0; i < slots.Length; i++)
        {
            ref readonly var v = ref _fields.Values[slots[i]];
            if (i > 0)
            {
                Append('|', ref n);
            }
            switch (v.Kind)
            {
                case FieldKind.String:
                    // A UTF-8 byte per character at least: a string that cannot fit is refused before it is copied,
                    // so the key buffer stays near MaxKeyBytes whatever the payload holds.
                    if (n + _fields.Chars(v).Length > maxBytes)
                    {
                        tooLong = true;
                        return null;
                    }
                    foreach (char c in _fields.Chars(v))
                    {
                        if (c is '|' or '\\')
                        {
                            Append('\\', ref n);
                        }
                        Append(c, ref n);
                    }
                    break;
                case FieldKind.Number:
                    Ensure(n + 32);
                    v.Number.TryFormat(_keyChars.AsSpan(n), out int w, "R", CultureInfo.InvariantCulture);
                    n += w;
                    break;
                case FieldKind.True:
                    foreach (char c in "true")
                    {
                        Append(c, ref n);
                    }
                    break;
                case FieldKind.False:
                    foreach (char c in "false")
                    {
                        Append(c, ref n);
                    }
                    break;
                default:
                    return null;
            }
        }
        var span = _keyChars.AsSpan(0, n);
        // Escapes and multi-byte characters make the key longer than the fields' lengths: the exact check.
        if (n > maxBytes || Encoding.UTF8.GetByteCount(span) > maxBytes)
        {
            tooLong = true;
            return null;
        }
        if (_keyLookup.TryGetValue(span, out var key))
        {
            _lru.Remove(key.Node);
            _lru.AddLast(key.Node);
        }
        else
        {
            if (_keys.Count >= _rule.Options.MaxKeys && _lru.First is { } oldest)
            {
                EvictKey(oldest.Value, outputs);
            }
            var groupValues = new string[slots.Length];
            for (int i = 0; i < slots.Length; i++)
            {
                ref readonly var v = ref _fields.Values[slots[i]];
                groupValues[i] = v.Kind switch
                {
                    FieldKind.String => _fields.GetString(v),
                    FieldKind.Number => v.Number.ToString("R", CultureInfo.InvariantCulture),
                    FieldKind.True => "true",
                    _ => "false",
                };
            }
            key = NewKey(new string(span), groupValues);
        }
        key.LastSeen = processingTime;
        return key;
    }

    private KeyState NewKey(string name, string[] groupValues)
    {
        var key = new KeyState(name, groupValues);
        if (_tombstones.Remove(name, out long closedBefore))
        {
            key.ClosedBeforeMs = closedBefore;
        }
        if (_rule.DeadbandSlots.Length > 0)
        {
            key.DeadbandValues = new double[_rule.DeadbandSlots.Length];
        }
        _keys.Add(name, key);
        _lru.AddLast(key.Node);
        _keyStringBytes += key.StringBytes;
        return key;
    }

    private void Append(char c, ref int n)
    {
        Ensure(n + 1);
        _keyChars[n++] = c;
    }

    private void Ensure(int size)
    {
        if (_keyChars.Length < size)
        {
            Array.Resize(ref _keyChars, Math.Max(size, _keyChars.Length * 2));
        }
    }

    private void EvictKey(KeyState key, List<RuleOutput> outputs)
    {
        CloseAll(key, outputs, retain: false);
        long closedBefore = Math.Max(key.ClosedBeforeMs, key.Watermark(_rule.LatenessMs));
        if (closedBefore != long.MinValue && _rule.Window is not (WindowType.None or WindowType.Count or WindowType.Sliding))
        {
            _tombstones[key.Key] = Math.Max(_tombstones.GetValueOrDefault(key.Key, long.MinValue), closedBefore);
            EnqueueTombstone(key.Key);
            while (_tombstoneOrder.Count > _rule.Options.MaxKeys)
            {
                DequeueTombstone();
            }
        }
        _windowCount -= key.Closed.Count + key.Sliding.Count;
        foreach (var w in key.Closed)
        {
            Recycle(w);
        }
        key.Closed.Clear();
        key.Sliding.Clear();
        _keys.Remove(key.Key);
        _lru.Remove(key.Node);
        _keyStringBytes -= key.StringBytes;
        _evictedKeys++;
    }

    private void EnqueueTombstone(string name)
    {
        _tombstoneOrder.Enqueue(name);
        _tombstoneEntries[name] = _tombstoneEntries.GetValueOrDefault(name) + 1;
        _tombstoneBytes += TombstoneBytes(name);
    }

    // Forgets the oldest eviction; the key's tombstone goes only with its last entry (not with one of an earlier
    // eviction that the key came back from).
    private void DequeueTombstone()
    {
        var name = _tombstoneOrder.Dequeue();
        _tombstoneBytes -= TombstoneBytes(name);
        int left = _tombstoneEntries[name] - 1;
        if (left > 0)
        {
            _tombstoneEntries[name] = left;
        }
        else
        {
            _tombstoneEntries.Remove(name);
            _tombstones.Remove(name);
        }
    }

    // An estimate per eviction entry: its queue slot, its share of the two dictionaries, and the name (UTF-16), counted
    // per entry because a key that came back and was evicted again (or a restored one) holds its own copy.
    private static long TombstoneBytes(string name) => 64L + (2L * name.Length);

    // ---- outputs ----

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, MinTimeMs, MaxTimeMs));

    private ReadOnlyMemory<byte>? KeyBytes(KeyState key) => _rule.GroupSlots.Length == 0 ? null : Encoding.UTF8.GetBytes(key.Key);

    private byte[] TakeJson()
    {
        _writer.Flush();
        var bytes = _json.WrittenSpan.ToArray();
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        return bytes;
    }

    private void EmitSide(in RuleInput input, long t, List<RuleOutput> outputs)
    {
        if (_rule.SideTopic is not { } side)
        {
            return;
        }
        outputs.Add(new RuleOutput(side, RecordId(input), input.Key?.ToArray(), input.Value.ToArray(), FromMs(t)));
        _out++;
    }

    private string RecordId(in RuleInput input) =>
        string.Create(CultureInfo.InvariantCulture, $"{_rule.Id}/{input.Topic}/{input.Partition}/{input.Offset}");

    private void EmitWindow(KeyState key, WindowState w, List<RuleOutput> outputs)
    {
        WriteWindowResult(key, w, w.Revision);
        long idPart = _rule.Window == WindowType.Count ? w.Seq : w.Start;
        string id = string.Create(CultureInfo.InvariantCulture, $"{_rule.Id}/{key.Key}/{idPart}/{w.Revision}");
        outputs.Add(new RuleOutput(_rule.ToTopic!, id, KeyBytes(key), TakeJson(), FromMs(w.End)));
        _out++;
    }

    /// <summary>One window's result object (rule, key, group values, bounds, count, revision, aggregates) into the writer.</summary>
    private void WriteWindowResult(KeyState key, WindowState w, int revision)
    {
        var j = _writer;
        j.WriteStartObject();
        j.WriteString("rule", _rule.Id);
        j.WriteString("key", key.Key);
        for (int i = 0; i < _rule.GroupNames.Length; i++)
        {
            j.WriteString(_rule.GroupNames[i], key.GroupValues[i]);
        }
        j.WriteString("start", FromMs(w.Start).UtcDateTime);
        j.WriteString("end", FromMs(w.End).UtcDateTime);
        j.WriteNumber("count", w.Count);
        j.WriteNumber("revision", revision);
        for (int i = 0; i < w.Accumulators.Length; i++)
        {
            w.Accumulators[i].Write(j, _rule.AggregateNames[i], w.Start, w.End);
        }
        j.WriteEndObject();
    }

    // ---- windows ----

    private WindowState NewWindow(long start, long end)
    {
        if (_spareWindows.TryPop(out var spare))
        {
            spare.Reset(start, end);
            for (int i = 0; i < spare.Accumulators.Length; i++)
            {
                var empty = new SnapshotReader(_emptyAccumulators[i]);
                spare.Accumulators[i].Load(ref empty);
            }
            return spare;
        }
        var specs = _rule.Aggregates;
        var accs = new Accumulator[specs.Length];
        for (int i = 0; i < specs.Length; i++)
        {
            accs[i] = Accumulator.Create(specs[i]);
        }
        return new WindowState(start, end, accs);
    }

    /// <summary>Gives back a window no list holds any more (emitted and not kept, dropped, or a sliding scratch window).</summary>
    private void Recycle(WindowState w)
    {
        if (_spareWindows.Count < MaxSpareWindows)
        {
            _spareWindows.Push(w);
        }
    }

    private void AddTo(WindowState w, long t)
    {
        w.Count++;
        var slots = _rule.AggregateSlots;
        var values = _fields.Values;
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            if (slot < 0)
            {
                w.Accumulators[i].Add(0, t);
            }
            else if (values[slot].Kind == FieldKind.Number)
            {
                w.Accumulators[i].Add(values[slot].Number, t);
            }
        }
    }

    /// <summary>Makes room for one more window at the MaxOpenWindows bound: drops the oldest window kept for revision,
    /// else closes (emits) the oldest open window, of the least recently seen key that has one.</summary>
    private void MakeRoom(List<RuleOutput> outputs)
    {
        while (_windowCount >= _rule.Options.MaxOpenWindows)
        {
            bool freed = false;
            foreach (var key in _lru)
            {
                if (key.Closed.Count > 0)
                {
                    // Never re-created as revision 0: windows up to its end count as closed early.
                    var dropped = key.Closed[0];
                    key.ClosedBeforeMs = Math.Max(key.ClosedBeforeMs, dropped.End);
                    key.Closed.RemoveAt(0);
                    Recycle(dropped);
                }
                else if (key.Sliding.Count > 0)
                {
                    key.Sliding.RemoveAt(0);
                }
                else if (key.Open.Count > 0)
                {
                    var w = key.Open[0];
                    key.Open.RemoveAt(0);
                    EmitWindow(key, w, outputs);
                    key.ClosedBeforeMs = Math.Max(key.ClosedBeforeMs, w.End);
                    Recycle(w);
                }
                else
                {
                    continue;
                }
                _windowCount--;
                _evictedWindows++;
                freed = true;
                break;
            }
            if (!freed)
            {
                return;
            }
        }
    }

    private WindowState OpenWindow(KeyState key, long start, long end, List<RuleOutput> outputs)
    {
        var open = key.Open;
        // Records mostly go to the newest window: search from the end.
        int i = open.Count - 1;
        while (i >= 0 && open[i].Start > start)
        {
            i--;
        }
        if (i >= 0 && open[i].Start == start)
        {
            return open[i];
        }
        MakeRoom(outputs);
        var w = NewWindow(start, end);
        // MakeRoom may have closed windows of this key: find the insertion point again.
        int at = open.Count;
        while (at > 0 && open[at - 1].Start > start)
        {
            at--;
        }
        open.Insert(at, w);
        _windowCount++;
        return w;
    }

    private void TimeWindows(in RuleInput input, KeyState key, long t, List<RuleOutput> outputs)
    {
        long closedBefore = Math.Max(key.Watermark(_rule.LatenessMs), key.ClosedBeforeMs);
        long first, last, step;
        if (_rule.Window == WindowType.Tumbling)
        {
            first = last = WindowMath.TumblingStart(t, _rule.SizeMs, _rule.OffsetMs);
            step = _rule.SizeMs;
        }
        else
        {
            (first, last) = WindowMath.HoppingStarts(t, _rule.SizeMs, _rule.HopMs, _rule.OffsetMs);
            step = _rule.HopMs;
        }
        bool late = false;
        for (long s = first; s <= last; s += step)
        {
            long e = s + _rule.SizeMs;
            if (e <= closedBefore)
            {
                late = true;
                if (_rule.Late == LatePolicy.Revise)
                {
                    Revise(key, s, t, outputs);
                }
                continue;
            }
            AddTo(OpenWindow(key, s, e, outputs), t);
        }
        if (late)
        {
            _late++;
            if (_rule.Late == LatePolicy.SideTopic)
            {
                EmitSide(input, t, outputs);
            }
        }
        Advance(key, t, outputs);
    }

    private void Revise(KeyState key, long start, long t, List<RuleOutput> outputs)
    {
        foreach (var w in key.Closed)
        {
            if (w.Start == start)
            {
                AddTo(w, t);
                w.Revision++;
                EmitWindow(key, w, outputs);
                return;
            }
        }
        // A window behind the watermark that never had a record: within the horizon and not closed early, it was never
        // emitted (emitted windows stay in Closed until the horizon), so it is emitted now as revision 0 and kept.
        long end = start + _rule.SizeMs;
        if (end > key.ClosedBeforeMs && end + _rule.ReviseHorizonMs > key.Watermark(_rule.LatenessMs))
        {
            MakeRoom(outputs);
            var w = NewWindow(start, end);
            AddTo(w, t);
            Close(key, w, outputs, retain: true);
            _windowCount++;
        }
    }

    /// <summary>Moves the key's watermark to <paramref name="t"/> if newer, emits the windows it passed, and forgets
    /// revisable windows past the revise horizon.</summary>
    private void Advance(KeyState key, long t, List<RuleOutput> outputs)
    {
        if (t <= key.MaxEventMs)
        {
            return;
        }
        key.MaxEventMs = t;
        long wm = key.Watermark(_rule.LatenessMs);
        var open = key.Open;
        for (int i = 0; i < open.Count;)
        {
            var w = open[i];
            if (w.End <= wm)
            {
                open.RemoveAt(i);
                Close(key, w, outputs, retain: true);
            }
            else
            {
                i++;
            }
        }
        PurgeClosed(key, wm);
    }

    private void PurgeClosed(KeyState key, long wm)
    {
        var closed = key.Closed;
        int drop = 0;
        while (drop < closed.Count && closed[drop].End + _rule.ReviseHorizonMs <= wm)
        {
            drop++;
        }
        if (drop > 0)
        {
            for (int i = 0; i < drop; i++)
            {
                Recycle(closed[i]);
            }
            closed.RemoveRange(0, drop);
            _windowCount -= drop;
        }
    }

    // Emits a window taken out of Open; keeps it for revision when the policy says so.
    private void Close(KeyState key, WindowState w, List<RuleOutput> outputs, bool retain)
    {
        EmitWindow(key, w, outputs);
        if (retain && _rule.Late == LatePolicy.Revise && _rule.Window != WindowType.Count)
        {
            int at = key.Closed.Count;
            while (at > 0 && key.Closed[at - 1].End > w.End)
            {
                at--;
            }
            key.Closed.Insert(at, w);
        }
        else
        {
            _windowCount--;
            Recycle(w);
        }
    }

    private void CloseAll(KeyState key, List<RuleOutput> outputs, bool retain)
    {
        var open = key.Open;
        if (open.Count == 0)
        {
            return;
        }
        var windows = open.ToArray();
        open.Clear();
        foreach (var w in windows)
        {
            if (_rule.Window != WindowType.Count)
            {
                key.ClosedBeforeMs = Math.Max(key.ClosedBeforeMs, w.End);
            }
            Close(key, w, outputs, retain);
        }
    }

    private void Session(in RuleInput input, KeyState key, long t, List<RuleOutput> outputs)
    {
        long gap = _rule.GapMs, maxDuration = _rule.MaxDurationMs;
        long closedBefore = Math.Max(key.Watermark(_rule.LatenessMs), key.ClosedBeforeMs);
        var open = key.Open;
        WindowState? target = null;
        for (int i = 0; i < open.Count; i++)
        {
            var w = open[i];
            if (t < w.Start - gap || t > w.LastT + gap)
            {
                continue;
            }
            if (Math.Max(w.LastT, t) - Math.Min(w.Start, t) <= maxDuration)
            {
                target = w;
                break;
            }
            if (t > w.LastT)
            {
                // The session reached its maximum duration: it ends here and a new one starts.
                open.RemoveAt(i);
                key.ClosedBeforeMs = Math.Max(key.ClosedBeforeMs, w.End);
                closedBefore = Math.Max(closedBefore, w.End);
                Close(key, w, outputs, retain: true);
                break;
            }
        }
        if (target is null)
        {
            if (t + gap <= closedBefore)
            {
                _late++;
                if (_rule.Late == LatePolicy.Revise)
                {
                    foreach (var w in key.Closed)
                    {
                        if (t >= w.Start && t <= w.LastT + gap)
                        {
                            AddTo(w, t);
                            w.LastT = Math.Max(w.LastT, t);
                            w.Revision++;
                            EmitWindow(key, w, outputs);
                            break;
                        }
                    }
                }
                else if (_rule.Late == LatePolicy.SideTopic)
                {
                    EmitSide(input, t, outputs);
                }
                Advance(key, t, outputs);
                return;
            }
            target = OpenWindow(key, t, t + gap, outputs);
        }
        AddTo(target, t);
        target.Start = Math.Min(target.Start, t);
        target.LastT = Math.Max(target.LastT, t);
        target.End = target.LastT + gap;
        // A session's start may move earlier: keep Open ordered by start.
        open.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        Advance(key, t, outputs);
    }

    private void CountWindow(KeyState key, long t, List<RuleOutput> outputs)
    {
        WindowState w;
        if (key.Open.Count == 0)
        {
            MakeRoom(outputs);
            w = NewWindow(t, t);
            w.Seq = _nextCountSeq++;
            key.Open.Add(w);
            _windowCount++;
        }
        else
        {
            w = key.Open[0];
        }
        AddTo(w, t);
        w.Start = Math.Min(w.Start, t);
        w.End = Math.Max(w.End, t);
        key.MaxEventMs = Math.Max(key.MaxEventMs, t);
        if (w.Count >= _rule.CountPerWindow)
        {
            key.Open.RemoveAt(0);
            Close(key, w, outputs, retain: false);
        }
    }
}
