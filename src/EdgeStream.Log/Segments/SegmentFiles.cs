using System.Globalization;

namespace EdgeStream.Log.Segments;

/// <summary>File names of a segment: <c>{baseOffset:D20}.log</c>, <c>.index</c>, <c>.timeindex</c> (Kafka's scheme). Stateless.</summary>
internal static class SegmentFiles
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";

    public static string LogPath(string directory, long baseOffset) => Path.Combine(directory, Stem(baseOffset) + LogSuffix);

    public static string IndexPath(string logPath) => Path.ChangeExtension(logPath, IndexSuffix);

    public static string TimeIndexPath(string logPath) => Path.ChangeExtension(logPath, TimeIndexSuffix);

    public static bool TryParseBaseOffset(string logPath, out long baseOffset)
    {
        var name = Path.GetFileNameWithoutExtension(logPath);
        return long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset) && name.Length == 20;
    }

    private static string Stem(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);
}
