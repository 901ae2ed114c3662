using System.ComponentModel.DataAnnotations;

namespace EdgeStream.Log;

/// <summary>
/// Per-topic configuration. Mutable for options binding; the log copies it when a topic is opened.
/// </summary>
public sealed class TopicSettings
{
    /// <summary>Number of partitions (1..1024). Can grow for an existing topic, never shrink.</summary>
    [Range(1, 1024, ErrorMessage = "{0} must be between {1} and {2}.")]
    public int Partitions { get; set; } = 1;

    /// <summary>The active segment rolls once it would exceed this size. Default 64 MiB.</summary>
    [Range(4096d, 1073741824d, ErrorMessage = "{0} must be between 4096 and 1073741824.")]
    public long SegmentBytes { get; set; } = 64L << 20;

    /// <summary>The active segment rolls once its first record is this old. Default 1 day.</summary>
    public TimeSpan SegmentMaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Keep at most about this many bytes per partition (whole segments are deleted); null: no limit.</summary>
    [Range(1d, double.MaxValue, ErrorMessage = "{0} must be positive when set.")]
    public long? RetentionBytes { get; set; }

    /// <summary>Delete segments whose newest record is older than this; null: no limit.</summary>
    public TimeSpan? RetentionAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Compression of each batch.</summary>
    [EnumDataType(typeof(CompressionCodec), ErrorMessage = "{0} is not a codec.")]
    public CompressionCodec Compression { get; set; } = CompressionCodec.None;

    /// <summary>What appends do when the disk budget is exhausted.</summary>
    public DiskFullPolicy WhenFull { get; set; } = DiskFullPolicy.Reject;

    /// <summary>
    /// When true (default), retention by bytes and age keeps segments that a cursor has not passed yet.
    /// <see cref="DiskFullPolicy.DropOldest"/> still deletes them: the disk budget wins.
    /// </summary>
    public bool KeepUnconsumed { get; set; } = true;

    /// <summary>A sparse offset-index entry is written every this many bytes of a segment. Default 16 KiB.</summary>
    [Range(512, int.MaxValue, ErrorMessage = "{0} must be at least 512.")]
    public int IndexIntervalBytes { get; set; } = 16 << 10;

    /// <summary>Suffix of a dead-letter topic: forwarding writes records upstream refused for good to <c>&lt;topic&gt;.dlq</c>.</summary>
    public const string DeadLetterSuffix = ".dlq";

    /// <summary>
    /// True for a dead-letter topic (name ends in <see cref="DeadLetterSuffix"/>). Retention by age or size and the
    /// <see cref="DiskFullPolicy.DropOldest"/> policy never delete its records: dead letters are kept until an operator
    /// requeues or purges them (<see cref="LogStore.PurgeTopicAsync"/>). A name rule rather than a setting, so it also
    /// holds for a dead-letter topic created implicitly with the defaults.
    /// </summary>
    public static bool IsDeadLetterTopic(string topic) => topic.EndsWith(DeadLetterSuffix, StringComparison.Ordinal);

    /// <summary>The active segment's allocation step (<see cref="LogOptions.SegmentPreallocationBytes"/>, at most a segment); 0: off.</summary>
    internal long PreallocationStep { get; set; }

    /// <summary>Whether preallocated space is written with zeros ahead of the data (<see cref="LogOptions.SegmentZeroFill"/>).</summary>
    internal bool ZeroFill { get; set; }

    /// <summary>Returns a copy (the log keeps its own).</summary>
    public TopicSettings Clone() => (TopicSettings)MemberwiseClone();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate(string path)
    {
        if (Partitions is < 1 or > 1024)
        {
            throw new ArgumentException($"{path}:Partitions must be between 1 and 1024 (was {Partitions}).");
        }
        if (SegmentBytes is < 4096 or > 1L << 30)
        {
            // Index entries hold 32-bit positions; 1 GiB keeps a margin and keeps recovery of one segment short.
            throw new ArgumentException($"{path}:SegmentBytes must be between 4096 and 1073741824 (was {SegmentBytes}).");
        }
        if (SegmentMaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:SegmentMaxAge must be positive.");
        }
        if (RetentionBytes is <= 0)
        {
            throw new ArgumentException($"{path}:RetentionBytes must be positive when set.");
        }
        if (RetentionAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:RetentionAge must be positive when set.");
        }
        if (!Enum.IsDefined(Compression))
        {
            throw new ArgumentException($"{path}:Compression '{Compression}' is not a codec.");
        }
        if (IndexIntervalBytes < 512)
        {
            throw new ArgumentException($"{path}:IndexIntervalBytes must be at least 512.");
        }
    }
}
