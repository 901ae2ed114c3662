using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using EdgeStream.Log.Storage;
using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Runtime;

/// <summary>
/// A rule's snapshots on disk: two slots, <c>&lt;hash&gt;.a.snap</c> and <c>&lt;hash&gt;.b.snap</c>, under the state
/// directory, where <c>hash</c> is the hex SHA-256 of the rule id (a rule id never becomes a path). Each write goes to
/// the slot holding the older snapshot (write <c>.tmp</c>, fsync, rename over the slot, fsync the directory), so a
/// crash mid-write leaves the newer one intact, and a damaged newest one falls back to the other. Reading fsyncs the
/// directory first, so what a recovery builds on is durable even when the process that wrote it died before its fsync.
/// <para>Layout (version 1, little-endian): magic <c>ESRS</c>, u16 version, u32 CRC-32 of everything after it, i64
/// sequence, string rule id, i64 processing-time ticks, u32 n + n × (string topic, i32 partition, i64 next offset)
/// inputs, u32 n + n × (string topic, i32 partition, i64 from offset) outputs, u32 n + n × (string topic, string id,
/// i32 key length or -1 + key, i32 value length + value, i64 timestamp unix ms) outbox, i32 length + evaluator state.
/// Strings are u16-length-prefixed UTF-8.</para>
/// Not thread-safe: one rule loop owns it.
/// </summary>
internal sealed class SnapshotFile(ILogStorage storage, string directory, string ruleId)
{
    private static readonly byte[] Magic = "ESRS"u8.ToArray();
    private const ushort Version = 1;
    private const int HeaderLength = 10;

    private readonly string _stem = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ruleId))));

    private readonly MemoryStream _encoded = new();
    private bool _directoryDurable;

    private string Slot(long sequence) => _stem + (sequence % 2 == 0 ? ".a.snap" : ".b.snap");

    /// <summary>Writes <paramref name="snapshot"/> durably into the slot its sequence selects.</summary>
    public void Write(RuleSnapshot snapshot)
    {
        if (!_directoryDurable)
        {
            storage.CreateDirectory(directory);
            MakeDirectoryEntryDurable();
        }
        var bytes = Encode(snapshot, _encoded);
        var path = Slot(snapshot.Sequence);
        var temp = path + ".tmp";
        using (var file = storage.Open(temp, createIfMissing: true))
        {
            file.SetLength(0);
            file.Write(0, bytes.Span);
            file.Flush();
        }
        storage.Replace(temp, path);
        storage.SyncDirectory(directory);
    }

    /// <summary>
    /// The valid snapshots, newest first (at most two). Damaged or foreign files are reported through
    /// <paramref name="damaged"/> and skipped.
    /// </summary>
    public List<RuleSnapshot> ReadAll(Action<string, string> damaged)
    {
        string[] slots = [Slot(0), Slot(1)];
        if (slots.Any(storage.FileExists))
        {
            // A process killed between a slot's rename and the directory's fsync left that slot in the page cache only,
            // and the session builds on it (re-emits its outbox, snapshots past its outputs).
            storage.SyncDirectory(directory);
            MakeDirectoryEntryDurable();
        }
        var found = new List<RuleSnapshot>(2);
        foreach (var path in slots)
        {
            if (!storage.FileExists(path))
            {
                continue;
            }
            try
            {
                using var file = storage.Open(path, createIfMissing: false);
                var bytes = new byte[file.Length];
                if (file.Read(0, bytes) != bytes.Length)
                {
                    throw new InvalidDataException("short read");
                }
                var snapshot = Decode(bytes);
                if (snapshot.RuleId != ruleId)
                {
                    throw new InvalidDataException($"it belongs to rule '{snapshot.RuleId}'");
                }
                found.Add(snapshot);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or IOException)
            {
                damaged(Path.GetFileName(path), e.Message);
            }
        }
        found.Sort((x, y) => y.Sequence.CompareTo(x.Sequence));
        return found;
    }

    /// <summary>A new directory is an entry of its parent: without this fsync a power cut could take every snapshot with it.</summary>
    private void MakeDirectoryEntryDurable()
    {
        if (Path.GetDirectoryName(Path.GetFullPath(directory)) is { } parent)
        {
            storage.SyncDirectory(parent);
        }
        _directoryDurable = true;
    }

    internal static byte[] Encode(RuleSnapshot s) => Encode(s, new MemoryStream()).ToArray();

    /// <summary>
    /// Encodes into <paramref name="body"/> (reset first, its capacity kept): a rule writes snapshots of the same size
    /// again and again, and a fresh, doubling buffer each time (megabytes for large windowed states) would churn the
    /// large-object heap and grow the process's RSS. The result is valid until the next call with the same buffer.
    /// </summary>
    internal static ReadOnlyMemory<byte> Encode(RuleSnapshot s, MemoryStream body)
    {
        body.SetLength(0);
        body.Write(new byte[HeaderLength]);
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(s.Sequence);
            WriteString(w, s.RuleId);
            w.Write(s.ProcessingTime.Ticks);
            w.Write((uint)s.Inputs.Count);
            foreach (var i in s.Inputs)
            {
                WriteString(w, i.Topic);
                w.Write(i.Partition);
                w.Write(i.NextOffset);
            }
            w.Write((uint)s.Outputs.Count);
            foreach (var o in s.Outputs)
            {
                WriteString(w, o.Topic);
                w.Write(o.Partition);
                w.Write(o.FromOffset);
            }
            w.Write((uint)s.Outbox.Count);
            foreach (var o in s.Outbox)
            {
                WriteString(w, o.Topic);
                WriteString(w, o.Id);
                WriteBytes(w, o.Key);
                WriteBytes(w, o.Value);
                w.Write(o.Timestamp.ToUnixTimeMilliseconds());
            }
            WriteBytes(w, s.EvaluatorState);
        }
        var result = body.GetBuffer().AsMemory(0, (int)body.Length);
        var span = result.Span;
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[6..], Crc32.HashToUInt32(span[HeaderLength..]));
        return result;
    }

    internal static RuleSnapshot Decode(byte[] bytes)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a rule snapshot");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4));
        if (version != Version)
        {
            throw new InvalidDataException($"snapshot version {version} is not supported");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(6)) != Crc32.HashToUInt32(bytes.AsSpan(10)))
        {
            throw new InvalidDataException("checksum mismatch");
        }
        using var r = new BinaryReader(new MemoryStream(bytes, 10, bytes.Length - 10), Encoding.UTF8);
        var sequence = r.ReadInt64();
        var ruleId = ReadString(r);
        var time = TimeSpan.FromTicks(r.ReadInt64());
        var inputs = new InputPosition[Count(r)];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = new InputPosition(ReadString(r), r.ReadInt32(), r.ReadInt64());
        }
        var outputs = new OutputMark[Count(r)];
        for (var i = 0; i < outputs.Length; i++)
        {
            outputs[i] = new OutputMark(ReadString(r), r.ReadInt32(), r.ReadInt64());
        }
        var outbox = new RuleOutput[Count(r)];
        for (var i = 0; i < outbox.Length; i++)
        {
            var topic = ReadString(r);
            var id = ReadString(r);
            var key = ReadBytes(r);
            var value = ReadBytes(r) ?? [];
            outbox[i] = new RuleOutput(topic, id, key, value, DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64()));
        }
        var state = ReadBytes(r) ?? [];
        return new RuleSnapshot(sequence, ruleId, time, inputs, outputs, outbox, state);
    }

    // Counts are bounded by the file size (each entry takes bytes), so a damaged count cannot allocate wildly.
    private static int Count(BinaryReader r)
    {
        var n = r.ReadUInt32();
        return n <= r.BaseStream.Length - r.BaseStream.Position ? (int)n : throw new InvalidDataException("entry count exceeds the file");
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write(checked((ushort)bytes.Length));
        w.Write(bytes);
    }

    private static string ReadString(BinaryReader r)
    {
        var length = r.ReadUInt16();
        return Encoding.UTF8.GetString(r.ReadBytes(length));
    }

    private static void WriteBytes(BinaryWriter w, ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is not { } b)
        {
            w.Write(-1);
            return;
        }
        w.Write(b.Length);
        w.Write(b.Span);
    }

    private static byte[]? ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0)
        {
            return null;
        }
        if (length > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new InvalidDataException("length exceeds the file");
        }
        return r.ReadBytes(length);
    }
}
