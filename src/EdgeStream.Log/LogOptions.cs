using System.ComponentModel.DataAnnotations;

namespace EdgeStream.Log;

/// <summary>
/// Configuration of a <see cref="LogStore"/>. Mutable for options binding; validated by <see cref="Validate"/> (first
/// error) and, in a host, by its data annotations plus the rules they cannot express (every error at once).
/// </summary>
public sealed class LogOptions
{
    /// <summary>Bounds for settings that must be a positive duration (data-annotation form).</summary>
    internal const string Tick = "00:00:00.0000001";

    /// <summary>The longest <see cref="TimeSpan"/>, as <see cref="RangeAttribute"/> wants it.</summary>
    internal const string Forever = "10675199.02:48:05.4775807";

    /// <summary>The directory that holds every topic and cursor. Created if missing.</summary>
    [Required(ErrorMessage = "{0} must be set.")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>When appends become durable; see <see cref="Log.CommitPolicy"/> for the syntax.</summary>
    public string CommitPolicy { get; set; } = "group";

    /// <summary>Settings for topics not listed in <see cref="Topics"/>.</summary>
    public TopicSettings Defaults { get; set; } = new();

    /// <summary>Per-topic settings by topic name.</summary>
    public Dictionary<string, TopicSettings> Topics { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When true (default) an append to an unknown topic creates it with <see cref="Defaults"/>.</summary>
    public bool AutoCreateTopics { get; set; } = true;

    /// <summary>
    /// Most topics the log creates (dead-letter topics not counted: forwarding makes at most one per topic); beyond
    /// it an append to a new topic is refused with <see cref="TopicLimitException"/>. Each topic costs memory and open
    /// files, so a route with a topic per MQTT topic level cannot let devices exhaust them. Topics already on disk
    /// always open. Default 1000.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "{0} must be between 1 and 1000000.")]
    public int MaxTopics { get; set; } = 1000;

    /// <summary>Most bytes all topics together may occupy; null: bounded only by <see cref="MinFreeBytes"/>/<see cref="MinFreePercent"/>.</summary>
    [Range(1d, double.MaxValue, ErrorMessage = "{0} must be positive when set.")]
    public long? MaxDiskBytes { get; set; }

    /// <summary>Appends stop (per the topic's <see cref="DiskFullPolicy"/>) before free space on the volume falls below this. Default 64 MiB.</summary>
    [Range(0d, double.MaxValue, ErrorMessage = "{0} must not be negative.")]
    public long MinFreeBytes { get; set; } = 64L << 20;

    /// <summary>Also keep this share of the volume free (0..50). Default 5.</summary>
    [Range(0d, 50d, ErrorMessage = "{0} must be between 0 and 50.")]
    public double MinFreePercent { get; set; } = 5;

    /// <summary>
    /// The active segment's file grows in steps of up to this many bytes, allocated ahead (fallocate) and zero-filled, so
    /// a commit overwrites allocated blocks and its fdatasync writes no size change (like Kafka's <c>log.preallocate</c>
    /// and SQLite's reused WAL). Steps start at 64 KiB and match the segment's size until they reach this one, so a
    /// partition costs at most as much again as it holds (and at most one step). Recovery and readers treat a zero tail
    /// as the clean end; rolling and closing trim it. 0 turns it off. Default 16 MiB (capped at the segment size).
    /// </summary>
    public long SegmentPreallocationBytes { get; set; } = 16L << 20;

    /// <summary>
    /// Writes the preallocated space with zeros, 1 MiB ahead of the data, so commits overwrite written blocks. ext4 and
    /// XFS hand out fallocated space as unwritten extents, and a commit that reaches a new block then commits the
    /// file-system journal with its fdatasync; zero-filled, they are converted once per MiB. It costs device writes for
    /// the zeros, less the journal blocks it saves: turn it off to spare an SD card whose load is large batches, or on
    /// a copy-on-write file system (btrfs, ZFS), where overwriting gains nothing. Figures in docs/log.md. Needs
    /// <see cref="SegmentPreallocationBytes"/>. Default on.
    /// </summary>
    public bool SegmentZeroFill { get; set; } = true;

    /// <summary>How often retention runs. Default 30 s.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a partition may stay failed (a write or fsync error it could not yet recover from by reopening) before
    /// the systemd watchdog stops being pinged so the service restarts. Readiness is false from the first failure.
    /// Default 5 minutes.
    /// </summary>
    public TimeSpan FailedPartitionGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A cursor not committed for this long (measured on the monotonic clock since its last commit or since the log
    /// opened, whichever is later) and not in use by a configured sink is deleted and stops holding back retention.
    /// Null: cursors never expire. Default 30 days.
    /// </summary>
    public TimeSpan? CursorIdleExpiry { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// What a partition does when it finds damaged data below its recovery point (bit rot): <c>skip</c> (default; readers
    /// skip the damaged range, which is logged, counted and reported) or <c>stop-partition</c> (the partition refuses
    /// reads and appends; everything else keeps running).
    /// </summary>
    public string OnCorruption { get; set; } = "skip";

    /// <summary>True when <see cref="OnCorruption"/> is <c>stop-partition</c>.</summary>
    internal bool StopPartitionOnCorruption => string.Equals(OnCorruption?.Trim(), "stop-partition", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings of <paramref name="topic"/>: its own entry or the defaults.</summary>
    public TopicSettings SettingsFor(string topic) => Topics.TryGetValue(topic, out var s) ? s : Defaults;

    /// <summary>Throws <see cref="ArgumentException"/> whose message names the first bad key.</summary>
    public void Validate(string path = "Log")
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException($"{path}:DataDirectory must be set.");
        }
        try
        {
            Log.CommitPolicy.Parse(CommitPolicy);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{path}:CommitPolicy: {e.Message}", e);
        }
        if (OnCorruption?.Trim().ToLowerInvariant() is not ("skip" or "stop-partition"))
        {
            throw new ArgumentException($"{path}:OnCorruption must be 'skip' or 'stop-partition' (was '{OnCorruption}').");
        }
        Defaults.Validate($"{path}:Defaults");
        foreach (var (name, settings) in Topics)
        {
            if (!TopicName.IsValid(name, out var reason))
            {
                throw new ArgumentException($"{path}:Topics:{name}: {reason}");
            }
            settings.Validate($"{path}:Topics:{name}");
        }
        if (MaxTopics is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"{path}:MaxTopics must be between 1 and 1000000 (was {MaxTopics}).");
        }
        if (MaxDiskBytes is <= 0)
        {
            throw new ArgumentException($"{path}:MaxDiskBytes must be positive when set.");
        }
        if (MinFreeBytes < 0)
        {
            throw new ArgumentException($"{path}:MinFreeBytes must not be negative.");
        }
        if (MinFreePercent is < 0 or > 50)
        {
            throw new ArgumentException($"{path}:MinFreePercent must be between 0 and 50.");
        }
        if (SegmentPreallocationBytes is < 0 or > 1L << 30)
        {
            throw new ArgumentException($"{path}:SegmentPreallocationBytes must be between 0 and 1073741824 (was {SegmentPreallocationBytes}).");
        }
        if (RetentionCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:RetentionCheckInterval must be positive.");
        }
        if (FailedPartitionGrace <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:FailedPartitionGrace must be positive.");
        }
        if (CursorIdleExpiry is { } expiry && expiry <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:CursorIdleExpiry must be positive when set.");
        }
    }
}
