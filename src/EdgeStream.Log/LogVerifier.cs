using EdgeStream.Log.Segments;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log;

/// <summary>
/// Checks every batch of every segment in a data directory (frame, CRC32C, dense offsets across segments) without
/// opening the log, so nothing is truncated or repaired: it only reports. Safe to run beside a live log (it reads).
/// Stateless; thread-safe.
/// </summary>
public static class LogVerifier
{
    /// <summary>Verifies the log in <paramref name="dataDirectory"/>, reporting bytes checked through <paramref name="progress"/>.</summary>
    public static Task<VerifyReport> VerifyAsync(string dataDirectory, IProgress<VerifyProgress>? progress = null, CancellationToken cancellationToken = default)
        => Task.Run(() => Verify(FileLogStorage.Instance, dataDirectory, progress, cancellationToken), cancellationToken);

    internal static VerifyReport Verify(ILogStorage storage, string dataDirectory, IProgress<VerifyProgress>? progress, CancellationToken cancellationToken)
    {
        var topicsRoot = Path.Combine(Path.GetFullPath(dataDirectory), "topics");
        var segments = new List<(string Topic, int Partition, long Base, string Path)>();
        foreach (var topicDir in storage.Directories(topicsRoot).Order(StringComparer.Ordinal))
        {
            foreach (var partitionDir in storage.Directories(topicDir))
            {
                if (!int.TryParse(Path.GetFileName(partitionDir), out var partition))
                {
                    continue;
                }
                foreach (var file in storage.Files(partitionDir, "*" + SegmentFiles.LogSuffix))
                {
                    if (SegmentFiles.TryParseBaseOffset(file, out var b))
                    {
                        segments.Add((Path.GetFileName(topicDir), partition, b, file));
                    }
                }
            }
        }
        segments = [.. segments.OrderBy(s => s.Topic, StringComparer.Ordinal).ThenBy(s => s.Partition).ThenBy(s => s.Base)];
        var totalBytes = segments.Sum(s => new FileInfo(s.Path).Length);
        long done = 0;
        long batches = 0;
        var problems = new List<VerifyProblem>();
        (string Topic, int Partition, long Next)? previous = null;
        foreach (var (topic, partition, baseOffset, path) in segments)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (previous is { } p && p.Topic == topic && p.Partition == partition && p.Next != baseOffset)
            {
                problems.Add(new VerifyProblem(topic, partition, path, 0, $"segment starts at offset {baseOffset} but the previous one ends at {p.Next}"));
            }
            using var file = storage.Open(path, createIfMissing: false);
            var length = file.Length;
            var result = SegmentScanner.Scan(file, 0, baseOffset, (_, _) => batches++, bytes =>
            {
                done += bytes;
                progress?.Report(new VerifyProgress(done, totalBytes, topic, partition));
            });
            while (result.Problem is not null)
            {
                // Go on after damage, as readers do, so every damaged range is reported with the offsets it costs.
                if (BatchResync.Find(file, result.ValidEnd, length, result.NextOffset, long.MaxValue / 2) is not { } found)
                {
                    problems.Add(new VerifyProblem(topic, partition, path, result.ValidEnd, result.Problem));
                    done += length - result.ValidEnd;
                    break;
                }
                problems.Add(new VerifyProblem(topic, partition, path, result.ValidEnd, result.Problem)
                {
                    SkippedOffsets = (result.NextOffset, found.Info.BaseOffset),
                });
                done += found.Position - result.ValidEnd;
                result = SegmentScanner.Scan(file, found.Position, found.Info.BaseOffset, (_, _) => batches++, bytes =>
                {
                    done += bytes;
                    progress?.Report(new VerifyProgress(done, totalBytes, topic, partition));
                });
            }
            previous = (topic, partition, result.NextOffset);
        }
        progress?.Report(new VerifyProgress(totalBytes, totalBytes, null, null));
        return new VerifyReport(segments.Count, batches, totalBytes, problems);
    }
}

/// <summary>The outcome of <see cref="LogVerifier.VerifyAsync"/>.</summary>
/// <param name="Segments">Segments checked.</param>
/// <param name="Batches">Valid batches seen.</param>
/// <param name="Bytes">Bytes of segment files.</param>
/// <param name="Problems">Every corruption found; empty when the log is sound.</param>
public sealed record VerifyReport(int Segments, long Batches, long Bytes, IReadOnlyList<VerifyProblem> Problems)
{
    /// <summary>True when no problem was found.</summary>
    public bool Ok => Problems.Count == 0;
}

/// <summary>One corruption: where it is and what is wrong.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="Segment">Segment file path.</param>
/// <param name="Position">Byte position of the bad batch.</param>
/// <param name="Reason">What failed.</param>
public sealed record VerifyProblem(string Topic, int Partition, string Segment, long Position, string Reason)
{
    /// <summary>
    /// When valid batches follow the damage in the same segment: the offsets [From, To) that readers skip.
    /// Null for damage that runs to the end of the segment (a torn tail, which recovery truncates).
    /// </summary>
    public (long From, long To)? SkippedOffsets { get; init; }
}

/// <summary>Progress of a verify run.</summary>
/// <param name="BytesDone">Bytes checked so far.</param>
/// <param name="BytesTotal">Bytes to check.</param>
/// <param name="Topic">Topic being checked, or null at the end.</param>
/// <param name="Partition">Partition being checked, or null at the end.</param>
public readonly record struct VerifyProgress(long BytesDone, long BytesTotal, string? Topic, int? Partition);
