using System.IO.Hashing;
using System.Text.Json;
using EdgeStream.Log.Partitions;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Topics;

/// <summary>
/// A topic: its settings and partitions, and the partitioner. A keyed record goes to
/// <c>xxHash32(key, seed 0) mod partitions</c> (a published, fixed algorithm, so placement is stable across restarts
/// and versions); an unkeyed record round-robin. Metadata file <c>topic.json</c> holds the partition count so it
/// survives configuration changes (partitions can be added, never removed). Thread-safe.
/// </summary>
internal sealed class TopicLog
{
    public const string MetadataFile = "topic.json";
    private int _roundRobin = -1;

    public TopicLog(string name, TopicSettings settings, PartitionLog[] partitions)
    {
        Name = name;
        Settings = settings;
        Partitions = partitions;
    }

    public string Name { get; }

    public TopicSettings Settings { get; }

    public PartitionLog[] Partitions { get; }

    public int PartitionFor(ReadOnlySpan<byte> key)
        => (int)(XxHash32.HashToUInt32(key) % (uint)Partitions.Length);

    public int NextRoundRobin() => (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)Partitions.Length);

    public PartitionLog Partition(int partition)
        => partition >= 0 && partition < Partitions.Length ? Partitions[partition] : throw new UnknownTopicException(Name, partition);

    public static int? ReadPartitionCount(ILogStorage storage, string directory)
    {
        var bytes = AtomicFile.Read(storage, Path.Combine(directory, MetadataFile));
        if (bytes is null)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.GetProperty("partitions").GetInt32();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public static void WritePartitionCount(ILogStorage storage, string directory, int partitions)
    {
        // Written by hand, not by reflection, so trimmed and NativeAOT builds can create topics.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("partitions", partitions);
            json.WriteEndObject();
        }
        AtomicFile.Write(storage, Path.Combine(directory, MetadataFile), buffer.WrittenSpan);
    }
}
