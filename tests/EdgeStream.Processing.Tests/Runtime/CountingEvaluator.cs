using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Tests.Runtime;

/// <summary>
/// A real, small evaluator for runtime tests: counts records per record key in tumbling windows of the log timestamp,
/// closing a key's window when a record of that key falls in a later window (per-key watermark, no lateness); records
/// before the key's open window are late and dropped. Honours the determinism contract (no clock, no I/O; processing
/// time only tracks idleness). Output id <c>rule/key/window-start-ms/0</c>, value <c>{"key":..,"start":..,"count":..}</c>.
/// </summary>
internal sealed class CountingEvaluator(string ruleId, string toTopic, TimeSpan window, TimeSpan? idleTimeout = null) : IRuleEvaluator
{
    private readonly SortedDictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private long _in;
    private long _out;
    private long _late;

    /// <summary>Throws from OnRecord when a record's value equals this (to test fault containment).</summary>
    public string? PoisonValue { get; init; }

    public string RuleId => ruleId;

    public RuleStats Stats => new(_in, _out, 0, _late, 0, _keys.Count, _keys.Count, _keys.Count * 48L);

    public void OnRecord(in RuleInput input, TimeSpan processingTime, List<RuleOutput> outputs)
    {
        if (PoisonValue is not null && Encoding.UTF8.GetString(input.Value.Span) == PoisonValue)
        {
            throw new InvalidOperationException("poison record");
        }
        _in++;
        var key = input.Key is { } k ? Encoding.UTF8.GetString(k.Span) : "-";
        var start = WindowStart(input.LogTimestamp.ToUnixTimeMilliseconds());
        if (!_keys.TryGetValue(key, out var state))
        {
            _keys[key] = new KeyState { Start = start, Count = 1, LastSeen = processingTime };
            return;
        }
        state.LastSeen = processingTime;
        if (start < state.Start)
        {
            _late++;
            return;
        }
        if (start > state.Start)
        {
            Emit(key, state, outputs);
            state.Start = start;
            state.Count = 0;
        }
        state.Count++;
    }

    public IReadOnlyList<string> CollectIdleKeys(TimeSpan processingTime)
        => idleTimeout is { } t ? [.. _keys.Where(k => processingTime - k.Value.LastSeen >= t).Select(k => k.Key)] : [];

    public void CloseKeys(IReadOnlyList<string> keys, List<RuleOutput> outputs)
    {
        foreach (var key in keys)
        {
            if (_keys.Remove(key, out var state))
            {
                Emit(key, state, outputs);
            }
        }
    }

    public void WriteSnapshot(IBufferWriter<byte> writer)
    {
        var w = new ArrayBufferWriter<byte>();
        var n = new byte[8];
        void Long(long v)
        {
            BinaryPrimitives.WriteInt64LittleEndian(n, v);
            w.Write(n);
        }
        Long(_in);
        Long(_out);
        Long(_late);
        Long(_keys.Count);
        foreach (var (key, s) in _keys)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            Long(bytes.Length);
            w.Write(bytes);
            Long(s.Start);
            Long(s.Count);
            Long(s.LastSeen.Ticks);
        }
        writer.Write(w.WrittenSpan);
    }

    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        var pos = 0;
        long Long(ReadOnlySpan<byte> s)
        {
            if (pos + 8 > s.Length)
            {
                throw new InvalidDataException("truncated snapshot");
            }
            var v = BinaryPrimitives.ReadInt64LittleEndian(s[pos..]);
            pos += 8;
            return v;
        }
        _keys.Clear();
        _in = Long(snapshot);
        _out = Long(snapshot);
        _late = Long(snapshot);
        var count = Long(snapshot);
        for (var i = 0; i < count; i++)
        {
            var length = (int)Long(snapshot);
            var key = Encoding.UTF8.GetString(snapshot.Slice(pos, length));
            pos += length;
            _keys[key] = new KeyState { Start = Long(snapshot), Count = Long(snapshot), LastSeen = TimeSpan.FromTicks(Long(snapshot)) };
        }
    }

    private long WindowStart(long ms) => ms - (((ms % (long)window.TotalMilliseconds) + (long)window.TotalMilliseconds) % (long)window.TotalMilliseconds);

    private void Emit(string key, KeyState state, List<RuleOutput> outputs)
    {
        _out++;
        var value = string.Create(CultureInfo.InvariantCulture, $$"""{"key":"{{key}}","start":{{state.Start}},"count":{{state.Count}}}""");
        outputs.Add(new RuleOutput(toTopic, string.Create(CultureInfo.InvariantCulture, $"{ruleId}/{key}/{state.Start}/0"),
            Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), DateTimeOffset.FromUnixTimeMilliseconds(state.Start + (long)window.TotalMilliseconds)));
    }

    private sealed class KeyState
    {
        public long Start;
        public long Count;
        public TimeSpan LastSeen;
    }
}
