using System.Buffers;
using EdgeStream.Processing.Windows;

namespace EdgeStream.Processing.Engine;

/// <summary>
/// Snapshot format (little-endian), version 1:
/// magic "ESRS" (u32 0x53525345), version i32, fingerprint (i32 length + 32 bytes SHA-256 of the rule definition),
/// counters (9 × i64: in, out, skipped, late, clamped, filtered, evicted keys, evicted windows, next count-window
/// sequence), evicted-key tombstones (order queue, then name → closed-before sorted by name), key count i32, then per
/// key in least-recently-seen order: key, group values, max event time, closed-before, next count-window seq, deadband
/// values and last emit, alert state, open windows, windows kept for revision, sliding samples; each window: start, end,
/// last time, seq, count, revision, then each accumulator's state in the rule's aggregate order; finally the magic again.
/// Processing times are not saved (they belong to the process that wrote the snapshot): restored keys count as seen at the
/// first processing time after the restore, so the idle timeout starts over. Nor is the count of records skipped for a
/// group key over MaxKeyBytes (they are in the skipped counter, which is saved); leaving it out kept version 1, so
/// snapshots written before MaxKeyBytes existed still load (MaxKeyBytes, like MaxKeys, is not in the fingerprint).
/// </summary>
internal sealed partial class RuleEvaluator
{
    private const int Magic = 0x53525345;
    private const int Version = 1;

    /// <inheritdoc />
    public void WriteSnapshot(IBufferWriter<byte> writer)
    {
        var w = new SnapshotWriter(writer);
        w.Int(Magic);
        w.Int(Version);
        w.Bytes(_rule.Fingerprint);
        foreach (long c in new[] { _in, _out, _skipped, _late, _clamped, _filtered, _evictedKeys, _evictedWindows, _nextCountSeq })
        {
            w.Long(c);
        }
        w.Int(_tombstoneOrder.Count);
        foreach (var name in _tombstoneOrder)
        {
            w.String(name);
        }
        var tombstones = _tombstones.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        w.Int(tombstones.Count);
        foreach (var (name, closedBefore) in tombstones)
        {
            w.String(name);
            w.Long(closedBefore);
        }
        w.Int(_keys.Count);
        foreach (var key in _lru)
        {
            w.String(key.Key);
            w.Int(key.GroupValues.Length);
            foreach (var g in key.GroupValues)
            {
                w.String(g);
            }
            w.Long(key.MaxEventMs);
            w.Long(key.ClosedBeforeMs);
            w.Int(key.DeadbandValues.Length);
            foreach (double d in key.DeadbandValues)
            {
                w.Double(d);
            }
            w.Long(key.LastEmitMs);
            w.Bool(key.AlertRaised);
            w.Long(key.PendingSinceMs);
            w.Long(key.AlertLastMs);
            Windows(w, key.Open);
            Windows(w, key.Closed);
            w.Int(key.Sliding.Count);
            foreach (var (t, values) in key.Sliding)
            {
                w.Long(t);
                w.Int(values.Length);
                foreach (double d in values)
                {
                    w.Double(d);
                }
            }
        }
        w.Int(Magic);
    }

    private static void Windows(SnapshotWriter w, List<WindowState> windows)
    {
        w.Int(windows.Count);
        foreach (var win in windows)
        {
            w.Long(win.Start);
            w.Long(win.End);
            w.Long(win.LastT);
            w.Long(win.Seq);
            w.Long(win.Count);
            w.Int(win.Revision);
            foreach (var acc in win.Accumulators)
            {
                acc.Save(w);
            }
        }
    }

    /// <inheritdoc />
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        var r = new SnapshotReader(snapshot);
        if (r.Int() != Magic)
        {
            throw new InvalidDataException("Not a rule snapshot.");
        }
        int version = r.Int();
        if (version != Version)
        {
            throw new InvalidDataException($"Rule snapshot version {version} is not supported (expected {Version}).");
        }
        if (!r.Bytes().AsSpan().SequenceEqual(_rule.Fingerprint))
        {
            throw new InvalidDataException($"The snapshot was written for another definition of rule '{_rule.Id}'.");
        }
        long[] counters = new long[9];
        for (int i = 0; i < counters.Length; i++)
        {
            counters[i] = r.Long();
        }
        var tombstoneOrder = new List<string>();
        int orderCount = r.Count(4);
        for (int i = 0; i < orderCount; i++)
        {
            tombstoneOrder.Add(r.String() ?? "");
        }
        var tombstones = new List<(string, long)>();
        int tombstoneCount = r.Count(12);
        for (int i = 0; i < tombstoneCount; i++)
        {
            tombstones.Add((r.String() ?? "", r.Long()));
        }
        var keys = new List<KeyState>();
        int windowCount = 0;
        int keyCount = r.Count(8);
        for (int k = 0; k < keyCount; k++)
        {
            string name = r.String() ?? throw new InvalidDataException("A snapshot key is missing.");
            int groups = r.Count(4);
            if (groups != _rule.GroupSlots.Length)
            {
                throw new InvalidDataException("A snapshot key has the wrong number of group values.");
            }
            var values = new string[groups];
            for (int g = 0; g < groups; g++)
            {
                values[g] = r.String() ?? "";
            }
            var key = new KeyState(name, values)
            {
                MaxEventMs = r.Long(),
                ClosedBeforeMs = r.Long(),
                LastSeen = TimeSpan.MinValue,
            };
            int deadband = r.Count(8);
            if (deadband != _rule.DeadbandSlots.Length)
            {
                throw new InvalidDataException("A snapshot key has the wrong deadband state.");
            }
            key.DeadbandValues = new double[deadband];
            for (int d = 0; d < deadband; d++)
            {
                key.DeadbandValues[d] = r.Double();
            }
            key.LastEmitMs = r.Long();
            key.AlertRaised = r.Bool();
            key.PendingSinceMs = r.Long();
            key.AlertLastMs = r.Long();
            windowCount += ReadWindows(ref r, key.Open);
            windowCount += ReadWindows(ref r, key.Closed);
            int samples = r.Count(12);
            for (int s = 0; s < samples; s++)
            {
                long t = r.Long();
                int n = r.Count(8);
                if (n != _rule.AggregateSlots.Length)
                {
                    throw new InvalidDataException("A snapshot sample has the wrong number of values.");
                }
                var vals = new double[n];
                for (int i = 0; i < n; i++)
                {
                    vals[i] = r.Double();
                }
                key.Sliding.Add((t, vals));
            }
            windowCount += samples;
            keys.Add(key);
        }
        if (r.Int() != Magic || !r.AtEnd)
        {
            throw new InvalidDataException("The snapshot's end marker is missing.");
        }

        // Parsed completely: only now replace the state, so a damaged snapshot leaves the evaluator as it was.
        _keys.Clear();
        _lru.Clear();
        _keyStringBytes = 0;
        foreach (var key in keys)
        {
            if (!_keys.TryAdd(key.Key, key))
            {
                throw new InvalidDataException("The snapshot lists a key twice.");
            }
            _lru.AddLast(key.Node);
            _keyStringBytes += key.StringBytes;
        }
        (_in, _out, _skipped, _late, _clamped, _filtered, _evictedKeys, _evictedWindows, _nextCountSeq) =
            (counters[0], counters[1], counters[2], counters[3], counters[4], counters[5], counters[6], counters[7], counters[8]);
        _tombstones.Clear();
        _tombstoneOrder.Clear();
        _tombstoneEntries.Clear();
        _tombstoneBytes = 0;
        _keyTooLong = 0;
        foreach (var (name, closedBefore) in tombstones)
        {
            _tombstones[name] = closedBefore;
        }
        foreach (var name in tombstoneOrder)
        {
            EnqueueTombstone(name);
        }
        _windowCount = windowCount;
        _restoreBase = null;
    }

    private int ReadWindows(ref SnapshotReader r, List<WindowState> into)
    {
        int n = r.Count(44);
        for (int i = 0; i < n; i++)
        {
            var w = NewWindow(r.Long(), r.Long());
            w.LastT = r.Long();
            w.Seq = r.Long();
            w.Count = r.Long();
            w.Revision = r.Int();
            foreach (var acc in w.Accumulators)
            {
                acc.Load(ref r);
            }
            into.Add(w);
        }
        return n;
    }
}
