using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EdgeStream.Forwarding;

/// <summary>One upstream sink. Mutable for options binding.</summary>
public sealed class SinkOptions
{
    /// <summary>Unique name; also the name of the sink's durable cursor in the log ([A-Za-z0-9._-]).</summary>
    public string Name { get; set; } = "";

    /// <summary><c>kafka</c>, <c>mqtt</c>, <c>nats</c> or <c>http</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Log topics to forward: exact names or <c>prefix*</c>. Empty: every topic except dead-letter (<c>*.dlq</c>) ones.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>
    /// Where a partition with no committed cursor starts: <c>earliest</c> (default), <c>latest</c>, or an ISO-8601
    /// timestamp. Partitions that appear after the engine started always start at their beginning.
    /// </summary>
    public string Start { get; set; } = "earliest";

    /// <summary>Batching limits.</summary>
    [ValidateObjectMembers]
    public BatchOptions Batch { get; set; } = new();

    /// <summary>Bandwidth cap in payload bytes per second; null (default) for none.</summary>
    [Range(1024d, double.MaxValue, ErrorMessage = "{0} must be at least 1024 when set.")]
    public long? BandwidthBytesPerSecond { get; set; }

    /// <summary>Reconnect backoff and circuit breaker.</summary>
    [ValidateObjectMembers]
    public RetryOptions Retry { get; set; } = new();

    /// <summary>Starts the sink paused (resume through <see cref="ForwardingEngine.Resume"/>).</summary>
    public bool Paused { get; set; }

    /// <summary>Type-specific settings (see each sink in <c>docs/forwarding.md</c>).</summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raw client properties passed through to the upstream client (e.g. librdkafka's <c>sasl.mechanism</c>).</summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A type-specific setting, or <paramref name="fallback"/> when missing or blank.</summary>
    public string Setting(string key, string fallback) => Settings.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v : fallback;

    /// <summary>A type-specific setting, or <c>null</c> when missing or blank.</summary>
    public string? Setting(string key) => Settings.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

/// <summary>When a forwarding loop sends what it has read. Mutable for options binding.</summary>
public sealed class BatchOptions
{
    /// <summary>Most records per batch. Default 500.</summary>
    [Range(1, 100_000, ErrorMessage = "{0} must be between {1} and {2}.")]
    public int MaxRecords { get; set; } = 500;

    /// <summary>Most payload bytes per batch (a single larger record still goes alone). Default 512 KiB.</summary>
    [Range(1024, int.MaxValue, ErrorMessage = "{0} must be at least 1024.")]
    public int MaxBytes { get; set; } = 512 << 10;

    /// <summary>
    /// How long to wait for more records once a batch is not full. Default 20 ms: a live stream then goes out in tens
    /// of batches a second instead of one per log flush; 0 sends at once.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>Backoff and circuit breaker of one sink. Mutable for options binding.</summary>
public sealed class RetryOptions
{
    /// <summary>First backoff delay (exponential with jitter after that). Default 500 ms.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest backoff delay. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open (sends fail fast) before one probe. Default 15 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Failure ratio over <see cref="SamplingDuration"/> that opens the circuit. Default 0.5.</summary>
    [Range(0d, 1d, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1].")]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Window over which failures are counted. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fewest sends in the window before the circuit may open. Default 4.</summary>
    [Range(2, int.MaxValue, ErrorMessage = "{0} must be at least 2.")]
    public int MinimumThroughput { get; set; } = 4;
}
