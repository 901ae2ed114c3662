using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeStream.Bench;

/// <summary>
/// What Log:SegmentZeroFill buys and costs, below the log: back-to-back write+fdatasync commits of one size into a
/// file that grows, one allocated with fallocate, and one allocated and written with zeros 1 MiB ahead (as the log
/// does). Prints µs per commit and, where the kernel's block-device statistics for the data directory's volume can be
/// found, the bytes the device wrote per commit (data, zeros and file-system journal together). Linux only.
/// </summary>
internal static partial class ZeroFillProbe
{
    private const int ZeroChunk = 1 << 20;

    public static void Run(string directory, TextWriter output, int commits = 1500)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        Directory.CreateDirectory(directory);
        var stat = DeviceStatPath(directory);
        output.WriteLine($"Zero fill below the log: {commits} back-to-back commits per case, device statistics from {stat ?? "(not found)"}");
        var zeros = new byte[ZeroChunk];
        foreach (var size in new[] { 150, 6700, 65536 })
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            foreach (var mode in new[] { "grows", "fallocate", "fallocate + zeros ahead" })
            {
                var path = Path.Combine(directory, "probe.bin");
                using (var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
                {
                    var fd = (int)file.DangerousGetHandle();
                    if (mode != "grows" && Fallocate(fd, 0, 0, (long)commits * size + ZeroChunk) != 0)
                    {
                        output.WriteLine($"  fallocate failed (errno {Marshal.GetLastPInvokeError()}): skipped");
                        return;
                    }
                    DiskBaseline.Fdatasync(fd);
                    var before = SectorsWritten(stat);
                    long zeroed = 0;
                    var stopwatch = Stopwatch.StartNew();
                    for (var i = 0; i < commits; i++)
                    {
                        var position = (long)i * size;
                        if (mode == "fallocate + zeros ahead" && zeroed < position + size + ZeroChunk / 2)
                        {
                            var from = Math.Max(zeroed, position + size);
                            RandomAccess.Write(file, zeros, from);
                            zeroed = from + ZeroChunk;
                        }
                        RandomAccess.Write(file, data, position);
                        DiskBaseline.Fdatasync(fd);
                    }
                    var elapsed = stopwatch.Elapsed;
                    var device = before is { } b && SectorsWritten(stat) is { } a ? (a - b) * 512.0 / commits : double.NaN;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {size,6} B commits, {mode,-24} {elapsed.TotalMicroseconds / commits,6:0} µs/commit   device {device / 1024,7:0.0} KiB/commit ({device / size:0.00}× the data)"));
                }
                File.Delete(path);
            }
        }
    }

    /// <summary>/sys/dev/block/MAJ:MIN/stat of the volume the longest matching mount point in mountinfo names.</summary>
    private static string? DeviceStatPath(string directory)
    {
        var full = Path.GetFullPath(directory);
        string? best = null;
        var bestLength = -1;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var mount = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            var under = full == mount || full.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (under && mount.Length > bestLength)
            {
                best = fields[2];
                bestLength = mount.Length;
            }
        }
        var path = best is null ? null : $"/sys/dev/block/{best}/stat";
        return path is not null && File.Exists(path) ? path : null;
    }

    private static long? SectorsWritten(string? stat)
        => stat is null ? null : long.Parse(File.ReadAllText(stat).Split(' ', StringSplitOptions.RemoveEmptyEntries)[6], CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);
}
