using System.Globalization;
using EdgeStream.Log;
using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Runtime;

/// <summary>A bound of a replay: an offset (in every input partition) or a time (the first record at or after it).</summary>
/// <param name="Offset">The offset, or <c>null</c>.</param>
/// <param name="Time">The time, or <c>null</c>.</param>
internal readonly record struct ReplayBound(long? Offset, DateTimeOffset? Time)
{
    /// <summary>A whole number is an offset, anything else an ISO-8601 time (UTC when it names no offset).</summary>
    public static bool TryParse(string text, out ReplayBound bound)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            bound = new ReplayBound(offset, null);
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            bound = new ReplayBound(null, time);
            return true;
        }
        bound = default;
        return false;
    }

    public async Task<long> ResolveAsync(LogStore log, string topic, PartitionInfo partition, long fallback, CancellationToken cancellationToken)
        => Offset is { } o ? Math.Clamp(o, partition.StartOffset, partition.DurableOffset)
            : Time is { } t ? log.FindOffset(topic, partition.Partition, t)
            : fallback;
}

/// <summary>
/// Runs a rule over stored history without touching its live state: a fresh evaluator fed each input partition from
/// <c>from</c> to <c>to</c> (exclusive) in offset order, partition after partition (results are exact per key as
/// long as a key's records sit in one partition, as they do for MQTT and sensor records). Used by
/// <c>edgestream rules test</c> and <c>backfill</c>, and by the bench. Stateless.
/// </summary>
internal static class RuleReplay
{
    /// <summary>Input records the replay will read (for progress).</summary>
    public static async Task<long> CountAsync(LogStore log, IReadOnlyList<string> topics, ReplayBound? from, ReplayBound? to, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var (topic, p) in Partitions(log, topics))
        {
            var start = from is { } f ? await f.ResolveAsync(log, topic, p, p.StartOffset, cancellationToken).ConfigureAwait(false) : p.StartOffset;
            var end = to is { } t ? await t.ResolveAsync(log, topic, p, p.DurableOffset, cancellationToken).ConfigureAwait(false) : p.DurableOffset;
            total += Math.Max(0, end - start);
        }
        return total;
    }

    /// <summary>
    /// Feeds the evaluator and hands each read batch's outputs to <paramref name="onOutputs"/>; with
    /// <paramref name="closeAtEnd"/>, finally closes every window still open (as an idle timeout would). Returns the
    /// records read; <paramref name="progress"/> gets the running count.
    /// </summary>
    public static async Task<long> RunAsync(LogStore log, IRuleEvaluator evaluator, IReadOnlyList<string> topics, ReplayBound? from, ReplayBound? to,
        bool closeAtEnd, Func<List<RuleOutput>, CancellationToken, ValueTask> onOutputs, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long read = 0;
        var outputs = new List<RuleOutput>();
        foreach (var (topic, p) in Partitions(log, topics))
        {
            var next = from is { } f ? await f.ResolveAsync(log, topic, p, p.StartOffset, cancellationToken).ConfigureAwait(false) : p.StartOffset;
            var end = to is { } t ? await t.ResolveAsync(log, topic, p, p.DurableOffset, cancellationToken).ConfigureAwait(false) : p.DurableOffset;
            while (next < end)
            {
                var result = log.Read(topic, p.Partition, next, new ReadLimits((int)Math.Min(1000, end - next), 4 << 20));
                if (result.NextOffset <= next)
                {
                    break;
                }
                foreach (var r in result.Records)
                {
                    if (r.Offset >= end)
                    {
                        break;
                    }
                    evaluator.OnRecord(new RuleInput(r.Topic, r.Partition, r.Offset, r.Timestamp, r.Key, r.Value), TimeSpan.Zero, outputs);
                    read++;
                }
                next = result.NextOffset;
                if (outputs.Count > 0)
                {
                    await onOutputs(outputs, cancellationToken).ConfigureAwait(false);
                    outputs.Clear();
                }
                progress?.Report(read);
            }
        }
        if (closeAtEnd)
        {
            evaluator.CloseKeys(evaluator.CollectIdleKeys(TimeSpan.FromDays(365_000)), outputs);
            if (outputs.Count > 0)
            {
                await onOutputs(outputs, cancellationToken).ConfigureAwait(false);
            }
        }
        return read;
    }

    private static IEnumerable<(string Topic, PartitionInfo Partition)> Partitions(LogStore log, IReadOnlyList<string> topics)
        => topics.Select(log.GetTopic).OfType<TopicInfo>().SelectMany(t => t.Partitions.Select(p => (t.Name, p)));
}
