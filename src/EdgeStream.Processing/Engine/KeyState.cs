using EdgeStream.Processing.Windows;

namespace EdgeStream.Processing.Engine;

/// <summary>Everything a rule holds for one group-by key. Not thread-safe.</summary>
internal sealed class KeyState
{
    public KeyState(string key, string[] groupValues)
    {
        Key = key;
        GroupValues = groupValues;
        Node = new LinkedListNode<KeyState>(this);
        long chars = key.Length;
        foreach (var g in groupValues)
        {
            chars += g.Length;
        }
        StringBytes = 2 * chars;
    }

    public string Key { get; }

    public string[] GroupValues { get; }

    /// <summary>Bytes of the key's name and group values in memory (UTF-16), for the rule's state size.</summary>
    public long StringBytes { get; }

    /// <summary>Position in the evaluator's least-recently-seen list (eviction and idle order).</summary>
    public LinkedListNode<KeyState> Node { get; }

    /// <summary>Newest event time seen (Unix ms); the watermark is this minus the allowed lateness.</summary>
    public long MaxEventMs { get; set; } = long.MinValue;

    /// <summary>Windows ending at or before this are closed even if the watermark has not passed them (closed early
    /// by the idle timeout or a bound): a record for them is late, so a window id is never emitted twice as revision 0.</summary>
    public long ClosedBeforeMs { get; set; } = long.MinValue;

    /// <summary>Processing time of the key's last record; <see cref="TimeSpan.MinValue"/> after a restore.</summary>
    public TimeSpan LastSeen { get; set; }

    /// <summary>Open windows, ascending by start.</summary>
    public List<WindowState> Open { get; } = [];

    /// <summary>Emitted windows kept for revision (Late: revise), ascending by end.</summary>
    public List<WindowState> Closed { get; } = [];

    /// <summary>Deadband: values of the last emitted record; <see cref="LastEmitMs"/> = long.MinValue before the first.</summary>
    public double[] DeadbandValues { get; set; } = [];

    public long LastEmitMs { get; set; } = long.MinValue;

    /// <summary>Alert: raised or clear.</summary>
    public bool AlertRaised { get; set; }

    /// <summary>Alert: since when the raise condition holds (long.MinValue: it does not).</summary>
    public long PendingSinceMs { get; set; } = long.MinValue;

    /// <summary>Alert: event time of the last record evaluated (older ones are ignored).</summary>
    public long AlertLastMs { get; set; } = long.MinValue;

    /// <summary>Sliding windows: buffered (time, values) of the last Size of event time, ascending by time.</summary>
    public List<(long T, double[] Values)> Sliding { get; } = [];

    public long Watermark(long latenessMs) => MaxEventMs == long.MinValue ? long.MinValue : MaxEventMs - latenessMs;
}
