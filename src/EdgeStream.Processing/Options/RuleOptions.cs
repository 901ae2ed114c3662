using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EdgeStream.Processing.Options;

/// <summary>One rule: where it reads, which records it keeps, what it computes per record or per window, and where
/// it writes. See <c>docs/processing.md</c> for the language.</summary>
public sealed class RuleOptions
{
    /// <summary>Unique rule id; part of every output id and of the rule's cursor name (<c>rule:&lt;id&gt;</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]{1,100}$")]
    public string Id { get; set; } = "";

    /// <summary>When false the rule is configured (and validated) but not run.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The input topics.</summary>
    public FromOptions From { get; set; } = new();

    /// <summary>Filter expression; records for which it is not true are dropped (not counted as skipped).</summary>
    public string? Where { get; set; }

    /// <summary>Computed output fields (name → expression), for per-record rules. Rename: <c>"t": "/temp"</c>;
    /// unit conversion: <c>"t_f": "/temp * 9 / 5 + 32"</c>.</summary>
    public Dictionary<string, string> Map { get; set; } = [];

    /// <summary>JSON pointers copied unchanged into the output of per-record rules, named by their last segment.</summary>
    public List<string> Select { get; set; } = [];

    /// <summary>Per-record deadband: emit a record only when a value moved more than its threshold, or on the heartbeat.</summary>
    public DeadbandOptions? Deadband { get; set; }

    /// <summary>Alert with hysteresis, evaluated per key.</summary>
    [ValidateObjectMembers]
    public AlertOptions? Alert { get; set; }

    /// <summary>Event time, lateness and idleness.</summary>
    public TimeOptions Time { get; set; } = new();

    /// <summary>The window; absent for per-record rules.</summary>
    [ValidateObjectMembers]
    public WindowOptions? Window { get; set; }

    /// <summary>JSON pointers whose values make the key (per device, per site…). Empty: one key for all records.</summary>
    public List<string> GroupBy { get; set; } = [];

    /// <summary>Window aggregates, output field → aggregate call (<c>mean(/quantities/temperature/value)</c>).</summary>
    public Dictionary<string, string> Aggregate { get; set; } = [];

    /// <summary>The output topic.</summary>
    public ToOptions To { get; set; } = new();

    /// <summary>Most keys held at once; at the bound the least recently seen key is closed (its windows emitted) and evicted, and counted.</summary>
    [Range(1, 10_000_000)]
    public int MaxKeys { get; set; } = 10_000;

    /// <summary>Most windows held at once (open plus closed ones kept for revision); at the bound the oldest window is closed early (emitted) and counted.</summary>
    [Range(1, 10_000_000)]
    public int MaxOpenWindows { get; set; } = 100_000;

    /// <summary>Largest group key held, in UTF-8 bytes of the combined key (the GroupBy values joined by <c>|</c>, as
    /// in output ids); a record with a longer key is skipped and counted. The key is kept several times over (the key's
    /// name and group values, its tombstone, every output id, record key and result), so without this bound devices
    /// could fill memory with <see cref="MaxKeys"/> keys of a payload's size each.</summary>
    [Range(1, 65_536)]
    public int MaxKeyBytes { get; set; } = 256;

    /// <summary>Every topic the rule may write (<c>To:Topic</c>, <c>Alert:Topic</c>, <c>Time:SideTopic</c>), without duplicates.</summary>
    public IReadOnlyList<string> OutputTopics()
        => [.. new[] { To?.Topic, Alert?.Topic, Time?.SideTopic }.OfType<string>().Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)];
}

/// <summary>Input topics of a rule: <see cref="Topic"/> or <see cref="Topics"/>.</summary>
public sealed class FromOptions
{
    /// <summary>One input topic.</summary>
    public string? Topic { get; set; }

    /// <summary>Several input topics.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>All input topics (<see cref="Topic"/> first), without duplicates.</summary>
    public IReadOnlyList<string> AllTopics()
    {
        var all = new List<string>();
        if (!string.IsNullOrEmpty(Topic))
        {
            all.Add(Topic);
        }
        foreach (var t in Topics)
        {
            if (!all.Contains(t))
            {
                all.Add(t);
            }
        }
        return all;
    }
}

/// <summary>Output of a rule.</summary>
public sealed class ToOptions
{
    /// <summary>The output topic for results (windows, mapped records).</summary>
    public string? Topic { get; set; }
}

/// <summary>Event time and late data.</summary>
public sealed class TimeOptions
{
    /// <summary>JSON pointer to the event time (ISO-8601 string or Unix milliseconds number); absent: the log timestamp.</summary>
    public string? Field { get; set; }

    /// <summary>How far a key's watermark trails its newest event time; windows close when the watermark passes their end.</summary>
    public TimeSpan AllowedLateness { get; set; }

    /// <summary>Processing time without records after which a key's open windows are closed by the runtime.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest allowed lead of event time over the log timestamp; zero: no check.</summary>
    public TimeSpan MaxFutureSkew { get; set; }

    /// <summary>What to do with records further ahead than <see cref="MaxFutureSkew"/>: <c>clamp</c> (to log time + skew) or <c>side-topic</c>.</summary>
    public string FutureSkew { get; set; } = "clamp";

    /// <summary>Late records (their window already closed): <c>drop</c>, <c>side-topic</c> or <c>revise</c>.</summary>
    public string Late { get; set; } = "drop";

    /// <summary>Topic receiving late (side-topic) and too-far-future records, unchanged.</summary>
    public string? SideTopic { get; set; }

    /// <summary>With <c>Late: revise</c>: how long (in watermark time past a window's end) a closed window is kept
    /// for revision. Later records are dropped and counted late. Default: the window size.</summary>
    public TimeSpan? ReviseHorizon { get; set; }
}

/// <summary>The window of a rule.</summary>
public sealed class WindowOptions
{
    /// <summary><c>tumbling</c>, <c>hopping</c>, <c>session</c>, <c>count</c> or <c>sliding</c>.</summary>
    [Required]
    public string Type { get; set; } = "";

    /// <summary>Window length (tumbling, hopping, sliding).</summary>
    public TimeSpan Size { get; set; }

    /// <summary>Advance between hopping windows.</summary>
    public TimeSpan Hop { get; set; }

    /// <summary>Session: inactivity gap that ends a session.</summary>
    public TimeSpan Gap { get; set; }

    /// <summary>Session: longest session; a longer one is cut and a new one starts.</summary>
    public TimeSpan MaxDuration { get; set; }

    /// <summary>Count window: records per window.</summary>
    public int Count { get; set; }

    /// <summary>Shift of the epoch alignment (e.g. 00:30:00 for half-hour aligned hourly windows).</summary>
    public TimeSpan Offset { get; set; }
}

/// <summary>Deadband: emit a record only when one of the fields moved more than its threshold since the last
/// emitted record of its key, or when <see cref="Heartbeat"/> of event time passed.</summary>
public sealed class DeadbandOptions
{
    /// <summary>JSON pointer → absolute threshold.</summary>
    public Dictionary<string, double> Fields { get; set; } = [];

    /// <summary>Emit at least once per this much event time per key; zero: no heartbeat.</summary>
    public TimeSpan Heartbeat { get; set; }
}

/// <summary>Alert with hysteresis: raised when <see cref="Value"/> crosses <see cref="Raise"/> and stays there for
/// <see cref="For"/> (event time), cleared when it crosses back past <see cref="Clear"/>.</summary>
public sealed class AlertOptions
{
    /// <summary>Alert name, in the alert record.</summary>
    public string? Name { get; set; }

    /// <summary>Expression (or JSON pointer) giving the watched value.</summary>
    [Required]
    public string Value { get; set; } = "";

    /// <summary><c>above</c> (raise when value ≥ Raise, clear when ≤ Clear) or <c>below</c> (the mirror image).</summary>
    public string Direction { get; set; } = "above";

    /// <summary>Raise threshold.</summary>
    public double Raise { get; set; }

    /// <summary>Clear threshold (below Raise for <c>above</c>, above it for <c>below</c>).</summary>
    public double Clear { get; set; }

    /// <summary>How long (event time) the raise condition must hold before the alert is raised.</summary>
    public TimeSpan For { get; set; }

    /// <summary>Alerts topic.</summary>
    public string? Topic { get; set; }
}
