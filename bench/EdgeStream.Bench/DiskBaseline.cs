using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EdgeStream.Bench;

/// <summary>
/// The disk's own limits, measured in the same run: sequential writes of the workload's bytes to one file with an
/// fdatasync (what the log itself calls on Linux) every few milliseconds (what a durable log cannot beat), and the rate
/// of back-to-back small write+fdatasync pairs.
/// </summary>
internal static partial class DiskBaseline
{
    /// <summary>One writer appends batch-sized chunks as fast as it can and calls FlushToDisk every <paramref name="every"/>.</summary>
    public static Measurement SequentialWithPeriodicFsync(string directory, Workload w, TimeSpan every)
    {
        var chunk = new byte[w.RecordBytes * w.BatchSize];
        new Random(1).NextBytes(chunk);
        using var file = Open(directory);
        long position = 0;
        var sinceFlush = Stopwatch.StartNew();
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < w.Duration)
        {
            RandomAccess.Write(file, chunk, position);
            position += chunk.Length;
            if (sinceFlush.Elapsed >= every)
            {
                Sync(file);
                sinceFlush.Restart();
            }
        }
        Sync(file);
        return new Measurement("disk", $"write+fdatasync/{every.TotalMilliseconds:0}ms", w, position / w.RecordBytes, stopwatch.Elapsed);
    }

    /// <summary>Back-to-back write of one record + FlushToDisk: the most durable commits one writer gets per second.</summary>
    public static Measurement FsyncRate(string directory, Workload w)
    {
        var record = w.Payload();
        using var file = Open(directory);
        long position = 0;
        long commits = 0;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < w.Duration)
        {
            RandomAccess.Write(file, record, position);
            Sync(file);
            position += record.Length;
            commits++;
        }
        return new Measurement("disk", "write+fdatasync loop", w, commits, stopwatch.Elapsed);
    }

    private static void Sync(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
        }
        else if (Fdatasync((int)file.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int Fdatasync(int fd);

    private static SafeFileHandle Open(string directory)
    {
        Directory.CreateDirectory(directory);
        return File.OpenHandle(Path.Combine(directory, "baseline.bin"), FileMode.Create, FileAccess.Write);
    }
}
