using System.Buffers.Binary;
using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Partitions;

/// <summary>
/// The partition's recovery point, file <c>recovery-point</c>: 16 bytes, little-endian: uint32 format version (1),
/// int64 offset, uint32 CRC32C of the first 12 bytes. Every batch below the offset was fsynced, with the index entries
/// that locate it, so recovery scans only from there. Written atomically (temp file, fsync, rename, directory fsync)
/// after a segment roll, every few seconds of flushing and at clean close. A missing or corrupt file means "scan
/// everything". Not thread-safe: only the partition's flusher (or close) writes it.
/// </summary>
internal static class RecoveryCheckpoint
{
    public const string FileName = "recovery-point";
    private const int Size = 16;

    public static long? Read(ILogStorage storage, string directory)
    {
        var bytes = AtomicFile.Read(storage, Path.Combine(directory, FileName));
        if (bytes is null || bytes.Length != Size)
        {
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 1
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)) != Crc32C.Compute(bytes.AsSpan(0, 12)))
        {
            return null;
        }
        return BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4));
    }

    public static void Write(ILogStorage storage, string directory, long offset)
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 1);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[4..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], Crc32C.Compute(bytes[..12]));
        AtomicFile.Write(storage, Path.Combine(directory, FileName), bytes);
    }
}
