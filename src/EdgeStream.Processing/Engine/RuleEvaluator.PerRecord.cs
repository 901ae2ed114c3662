using System.Globalization;
using EdgeStream.Processing.Expressions;
using EdgeStream.Processing.Json;

namespace EdgeStream.Processing.Engine;

/// <summary>Per-record stages (map/select, deadband, alert) and sliding windows.</summary>
internal sealed partial class RuleEvaluator
{
    private void PerRecord(in RuleInput input, KeyState key, long t, List<RuleOutput> outputs)
    {
        byte[]? mapped = null;
        bool wantsRecord = _rule.ToTopic is not null;
        if (wantsRecord && (_rule.MapNames.Length > 0 || _rule.SelectNames.Length > 0))
        {
            mapped = Map(input.Value.Span);
            if (mapped is null)
            {
                _skipped++;
                return;
            }
        }
        if (wantsRecord && _rule.DeadbandSlots.Length > 0)
        {
            var slots = _rule.DeadbandSlots;
            var values = _fields.Values;
            foreach (int slot in slots)
            {
                if (values[slot].Kind != FieldKind.Number)
                {
                    _skipped++;
                    return;
                }
            }
            bool emit = key.LastEmitMs == long.MinValue
                || (_rule.HeartbeatMs > 0 && t - key.LastEmitMs >= _rule.HeartbeatMs);
            for (int i = 0; i < slots.Length && !emit; i++)
            {
                emit = Math.Abs(values[slots[i]].Number - key.DeadbandValues[i]) > _rule.DeadbandThresholds[i];
            }
            if (emit)
            {
                for (int i = 0; i < slots.Length; i++)
                {
                    key.DeadbandValues[i] = values[slots[i]].Number;
                }
                key.LastEmitMs = t;
            }
            wantsRecord = emit;
        }
        if (wantsRecord)
        {
            var keyBytes = _rule.GroupSlots.Length == 0 ? input.Key?.ToArray() : KeyBytes(key);
            outputs.Add(new RuleOutput(_rule.ToTopic!, RecordId(input), keyBytes, mapped ?? input.Value.ToArray(), FromMs(t)));
            _out++;
        }
        if (_rule.AlertValue is not null)
        {
            Alert(key, t, outputs);
        }
    }

    // The mapped record: Select fields, then Map fields (by name); null when an expression fails on this record.
    private byte[]? Map(ReadOnlySpan<byte> record)
    {
        var j = _writer;
        var values = _fields.Values;
        try
        {
            j.WriteStartObject();
            for (int i = 0; i < _rule.SelectSlots.Length; i++)
            {
                ref readonly var v = ref values[_rule.SelectSlots[i]];
                string name = _rule.SelectNames[i];
                switch (v.Kind)
                {
                    case FieldKind.Number: j.WriteNumber(name, v.Number); break;
                    case FieldKind.String: j.WriteString(name, _fields.Chars(v)); break;
                    case FieldKind.True: j.WriteBoolean(name, true); break;
                    case FieldKind.False: j.WriteBoolean(name, false); break;
                    case FieldKind.Object:
                    case FieldKind.Array:
                        j.WritePropertyName(name);
                        j.WriteRawValue(record.Slice(v.RawStart, v.RawLength), skipInputValidation: true);
                        break;
                    default: j.WriteNull(name); break;
                }
            }
            for (int i = 0; i < _rule.MapExprs.Length; i++)
            {
                var v = _rule.MapExprs[i].Eval(_fields);
                string name = _rule.MapNames[i];
                switch (v.Kind)
                {
                    case ValKind.Number when double.IsFinite(v.Number): j.WriteNumber(name, v.Number); break;
                    case ValKind.Bool: j.WriteBoolean(name, v.IsTrue); break;
                    case ValKind.String: j.WriteString(name, v.Text); break;
                    default: j.WriteNull(name); break;
                }
            }
            j.WriteEndObject();
            return TakeJson();
        }
        catch (ExpressionEvaluationException)
        {
            TakeJson();
            return null;
        }
    }

    private void Alert(KeyState key, long t, List<RuleOutput> outputs)
    {
        double x;
        try
        {
            var v = _rule.AlertValue!.Eval(_fields);
            if (v.Kind != ValKind.Number || !double.IsFinite(v.Number))
            {
                _skipped++;
                return;
            }
            x = v.Number;
        }
        catch (ExpressionEvaluationException)
        {
            _skipped++;
            return;
        }
        if (t < key.AlertLastMs)
        {
            // Alerts follow event time forwards only; an older record cannot undo a transition.
            return;
        }
        key.AlertLastMs = t;
        var a = _rule.Options.Alert!;
        bool above = _rule.AlertAbove;
        bool raiseNow = above ? x >= a.Raise : x <= a.Raise;
        bool clearNow = above ? x <= a.Clear : x >= a.Clear;
        if (!key.AlertRaised)
        {
            if (!raiseNow)
            {
                key.PendingSinceMs = long.MinValue;
                return;
            }
            if (key.PendingSinceMs == long.MinValue)
            {
                key.PendingSinceMs = t;
            }
            if (t - key.PendingSinceMs >= _rule.AlertForMs)
            {
                key.AlertRaised = true;
                EmitAlert(key, "raised", x, key.PendingSinceMs, t, outputs);
                key.PendingSinceMs = long.MinValue;
            }
        }
        else if (clearNow)
        {
            key.AlertRaised = false;
            EmitAlert(key, "cleared", x, t, t, outputs);
        }
    }

    private void EmitAlert(KeyState key, string state, double x, long since, long t, List<RuleOutput> outputs)
    {
        var a = _rule.Options.Alert!;
        var j = _writer;
        j.WriteStartObject();
        j.WriteString("rule", _rule.Id);
        j.WriteString("alert", a.Name ?? _rule.Id);
        j.WriteString("key", key.Key);
        for (int i = 0; i < _rule.GroupNames.Length; i++)
        {
            j.WriteString(_rule.GroupNames[i], key.GroupValues[i]);
        }
        j.WriteString("state", state);
        j.WriteNumber("value", x);
        j.WriteNumber("raise", a.Raise);
        j.WriteNumber("clear", a.Clear);
        j.WriteString("since", FromMs(since).UtcDateTime);
        j.WriteString("ts", FromMs(t).UtcDateTime);
        j.WriteEndObject();
        string id = string.Create(CultureInfo.InvariantCulture, $"{_rule.Id}/{key.Key}/{t}/{state}");
        outputs.Add(new RuleOutput(_rule.AlertTopic!, id, KeyBytes(key), TakeJson(), FromMs(t)));
        _out++;
    }

    /// <summary>
    /// Sliding window: on every record, the aggregates over the key's records in (t − Size, t]. This one window type
    /// buffers (time, aggregated values) per key for Size of event time, bounded by MaxOpenWindows samples in all; each
    /// output is per record (id <c>rule/topic/partition/offset</c>).
    /// </summary>
    private void SlidingWindow(in RuleInput input, KeyState key, long t, List<RuleOutput> outputs)
    {
        var buffer = key.Sliding;
        long newest = buffer.Count > 0 ? buffer[^1].T : long.MinValue;
        if (newest != long.MinValue && t <= newest - _rule.SizeMs - _rule.LatenessMs)
        {
            _late++;
            if (_rule.Late == LatePolicy.SideTopic)
            {
                EmitSide(input, t, outputs);
            }
            return;
        }
        var slots = _rule.AggregateSlots;
        var sample = new double[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            sample[i] = slots[i] < 0 ? 0 : _fields.Values[slots[i]].Kind == FieldKind.Number ? _fields.Values[slots[i]].Number : double.NaN;
        }
        MakeRoom(outputs);
        int at = buffer.Count;
        while (at > 0 && buffer[at - 1].T > t)
        {
            at--;
        }
        buffer.Insert(at, (t, sample));
        _windowCount++;
        key.MaxEventMs = Math.Max(key.MaxEventMs, t);
        // Forget samples no window can use any more.
        long horizon = key.MaxEventMs - _rule.SizeMs - _rule.LatenessMs;
        int drop = 0;
        while (drop < buffer.Count && buffer[drop].T <= horizon)
        {
            drop++;
        }
        if (drop > 0)
        {
            buffer.RemoveRange(0, drop);
            _windowCount -= drop;
        }
        var w = NewWindow(t - _rule.SizeMs, t);
        foreach (var (st, values) in buffer)
        {
            if (st <= t - _rule.SizeMs || st > t)
            {
                continue;
            }
            w.Count++;
            for (int i = 0; i < values.Length; i++)
            {
                if (!double.IsNaN(values[i]))
                {
                    w.Accumulators[i].Add(values[i], st);
                }
            }
        }
        WriteWindowResult(key, w, revision: 0);
        Recycle(w);
        outputs.Add(new RuleOutput(_rule.ToTopic!, RecordId(input), KeyBytes(key), TakeJson(), FromMs(t)));
        _out++;
    }
}
