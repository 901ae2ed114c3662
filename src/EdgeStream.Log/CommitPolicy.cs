using System.Globalization;

namespace EdgeStream.Log;

/// <summary>
/// When the log fsyncs. Appends always return offsets at once (their bytes reach the file no later than the fsync
/// that makes them durable, see <see cref="LogOptions.SegmentPreallocationBytes"/>); this policy decides when.
/// <list type="bullet">
/// <item><c>always</c>: every append is durable before it returns; concurrent appenders share one fsync.</item>
/// <item><c>group</c>: appends return at once; a flusher fsyncs as soon as the previous fsync finished whenever
/// there is unflushed data (classic group commit). Callers that need durability await
/// <see cref="LogStore.WaitForDurableAsync"/>.</item>
/// <item><c>interval:&lt;n&gt;ms</c> and/or <c>bytes:&lt;n&gt;</c> (comma-separated): fsync when the oldest unflushed
/// append is that old, or when that many bytes are unflushed, whichever comes first.</item>
/// </list>
/// Immutable.
/// </summary>
public sealed record CommitPolicy
{
    private CommitPolicy(CommitMode mode, TimeSpan? interval, long? bytes)
    {
        Mode = mode;
        Interval = interval;
        Bytes = bytes;
    }

    /// <summary>The kind of policy.</summary>
    public CommitMode Mode { get; }

    /// <summary>For <see cref="CommitMode.Threshold"/>: the longest an append stays unflushed.</summary>
    public TimeSpan? Interval { get; }

    /// <summary>For <see cref="CommitMode.Threshold"/>: the most bytes left unflushed.</summary>
    public long? Bytes { get; }

    /// <summary>Every append durable before it returns.</summary>
    public static CommitPolicy Always { get; } = new(CommitMode.Always, null, null);

    /// <summary>Continuous group commit: fsync whenever there is work, one at a time.</summary>
    public static CommitPolicy Group { get; } = new(CommitMode.Group, null, null);

    /// <summary>Fsync on a time and/or byte threshold.</summary>
    public static CommitPolicy Threshold(TimeSpan? interval, long? bytes)
    {
        if (interval is null && bytes is null)
        {
            throw new ArgumentException("A threshold commit policy needs an interval, a byte count or both.");
        }
        if (interval is { } i && i <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), "The commit interval must be positive.");
        }
        if (bytes is { } b && b <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "The commit byte threshold must be positive.");
        }
        return new CommitPolicy(CommitMode.Threshold, interval, bytes);
    }

    /// <summary>Parses <c>always</c>, <c>group</c>, <c>interval:5ms</c>, <c>bytes:1048576</c> or <c>interval:5ms,bytes:1048576</c>.</summary>
    /// <exception cref="FormatException">The text is not a policy; the message says why.</exception>
    public static CommitPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "always")
        {
            return Always;
        }
        if (t == "group")
        {
            return Group;
        }
        TimeSpan? interval = null;
        long? bytes = null;
        foreach (var part in t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"Commit policy '{text}': expected 'always', 'group', 'interval:<ms>' or 'bytes:<n>'.");
            }
            var name = part[..colon];
            var value = part[(colon + 1)..];
            switch (name)
            {
                case "interval":
                    var ms = value.EndsWith("ms", StringComparison.Ordinal) ? value[..^2] : value;
                    if (!double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) || m <= 0)
                    {
                        throw new FormatException($"Commit policy '{text}': interval '{value}' is not a positive number of milliseconds.");
                    }
                    interval = TimeSpan.FromMilliseconds(m);
                    break;
                case "bytes":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                    {
                        throw new FormatException($"Commit policy '{text}': bytes '{value}' is not a positive integer.");
                    }
                    bytes = n;
                    break;
                default:
                    throw new FormatException($"Commit policy '{text}': unknown setting '{name}'.");
            }
        }
        if (interval is null && bytes is null)
        {
            throw new FormatException($"Commit policy '{text}' is empty.");
        }
        return new CommitPolicy(CommitMode.Threshold, interval, bytes);
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        CommitMode.Always => "always",
        CommitMode.Group => "group",
        _ => string.Join(',', new[]
        {
            Interval is { } i ? $"interval:{i.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms" : null,
            Bytes is { } b ? $"bytes:{b.ToString(CultureInfo.InvariantCulture)}" : null,
        }.Where(s => s is not null)),
    };
}

/// <summary>The kinds of <see cref="CommitPolicy"/>.</summary>
public enum CommitMode
{
    /// <summary>Durable before the append returns.</summary>
    Always,

    /// <summary>Fsync back-to-back whenever there is unflushed data.</summary>
    Group,

    /// <summary>Fsync on a time and/or byte threshold.</summary>
    Threshold,
}
