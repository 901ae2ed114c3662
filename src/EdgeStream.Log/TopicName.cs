using System.Buffers;

namespace EdgeStream.Log;

/// <summary>
/// Topic name rules. A valid name is 1-200 characters of <c>[A-Za-z0-9._-]</c>, is not <c>.</c> or <c>..</c>,
/// does not start with a dot, and is not a Windows device name (CON, NUL, COM1, ...). Only valid names reach the
/// file system, as a directory under the data directory's <c>topics/</c>: with that charset no name can contain a
/// separator, so none can escape the data directory. Thread-safe (stateless).
/// </summary>
public static class TopicName
{
    /// <summary>The longest topic name.</summary>
    public const int MaxLength = 200;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>True when <paramref name="name"/> may be used as a topic; otherwise <paramref name="reason"/> says why.</summary>
    public static bool IsValid(string? name, out string reason)
    {
        if (string.IsNullOrEmpty(name))
        {
            reason = "topic name is empty";
            return false;
        }
        if (name.Length > MaxLength)
        {
            reason = $"topic name is longer than {MaxLength} characters";
            return false;
        }
        var bad = name.AsSpan().IndexOfAnyExcept(Allowed);
        if (bad >= 0)
        {
            reason = $"topic name has a character outside [A-Za-z0-9._-] at position {bad}";
            return false;
        }
        if (name[0] == '.')
        {
            reason = "topic name must not start with '.'";
            return false;
        }
        var stem = name.Split('.')[0];
        if (DeviceNames.Contains(stem))
        {
            reason = $"topic name '{name}' is a reserved device name";
            return false;
        }
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// True when ingest (MQTT, HTTP, sensors, rule outputs) may write to <paramref name="name"/>: a valid name that is
    /// not a dead-letter topic (<c>*.dlq</c>). Only forwarding writes there, and retention never deletes it, so a device
    /// choosing such a name through a route template could fill the disk with data nothing forwards or ages out.
    /// Otherwise <paramref name="reason"/> says why.
    /// </summary>
    public static bool IsValidForIngest(string? name, out string reason)
    {
        if (!IsValid(name, out reason))
        {
            return false;
        }
        if (TopicSettings.IsDeadLetterTopic(name!))
        {
            reason = $"topic name ends in {TopicSettings.DeadLetterSuffix}, which only forwarding writes (dead letters)";
            return false;
        }
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message unless the name is valid.</summary>
    public static void Validate(string? name)
    {
        if (!IsValid(name, out var reason))
        {
            throw new ArgumentException($"Invalid topic name: {reason}.", nameof(name));
        }
    }

    /// <summary>
    /// The directory of a validated topic under <paramref name="topicsRoot"/>; checks once more that the result stays
    /// inside it (defence in depth should the rules above ever change).
    /// </summary>
    internal static string DirectoryFor(string topicsRoot, string name)
    {
        Validate(name);
        var root = Path.GetFullPath(topicsRoot);
        var dir = Path.GetFullPath(Path.Combine(root, name));
        if (!dir.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid topic name: '{name}' would leave the data directory.", nameof(name));
        }
        return dir;
    }
}
