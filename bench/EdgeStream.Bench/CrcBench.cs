using System.Diagnostics;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeStream.Bench;

/// <summary>
/// CRC32C over whole batches: System.IO.Hashing (what the log uses) beside a loop over the
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> intrinsic, so the choice stays a measured one.
/// </summary>
internal static class CrcBench
{
    public static void Run(TextWriter output, TimeSpan duration)
    {
        var batch = new byte[64 * 1024];
        new Random(1).NextBytes(batch);
        var library = Measure(duration, () => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, batch));
        var intrinsic = Measure(duration, () => Intrinsic(batch));
        if (Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, batch) != Intrinsic(batch))
        {
            throw new InvalidOperationException("The two CRC32C implementations disagree.");
        }
        output.WriteLine($"  CRC32C over 64 KiB batches: System.IO.Hashing {library:N0} MB/s, BitOperations loop {intrinsic:N0} MB/s");
    }

    private static uint Intrinsic(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words)
        {
            crc = BitOperations.Crc32C(crc, w);
        }
        foreach (var b in data[(words.Length * 8)..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }

    private static double Measure(TimeSpan duration, Func<uint> hash)
    {
        var sink = 0u;
        long bytes = 0;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            sink ^= hash();
            bytes += 64 * 1024;
        }
        GC.KeepAlive(sink);
        return bytes / (1 << 20) / stopwatch.Elapsed.TotalSeconds;
    }
}
