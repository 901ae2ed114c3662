using System.ComponentModel.DataAnnotations;

namespace EdgeStream.Processing.Hosting;

/// <summary>
/// The runtime's settings, bound to the same <c>Processing</c> section as the rules (see docs/processing.md,
/// "Running rules"). Validated at start; each error names its key.
/// </summary>
public sealed class ProcessingRuntimeOptions
{
    /// <summary>Where rule snapshots live; empty means <c>&lt;Log:DataDirectory&gt;/processing</c>.</summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>How often a rule that made progress writes a snapshot (bounds the replay after a crash). Default 30 s.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most input records a rule reads per batch (spread over its input partitions). Default 1000.</summary>
    [Range(1, 100_000)]
    public int MaxBatchRecords { get; set; } = 1000;

    /// <summary>How often a rule looks for keys past their idle timeout (on the monotonic clock). Default 1 s.</summary>
    public TimeSpan IdleCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before a faulted rule restarts; doubled per consecutive fault. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay before a faulted rule restarts. Default 1 min.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromMinutes(1);
}
