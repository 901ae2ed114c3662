using System.Globalization;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>One check of a chaos run: its name, whether it held, and what broke it.</summary>
internal sealed record CheckResult(string Name, bool Passed, string Detail);

/// <summary>The checks and the counts behind them.</summary>
internal sealed record ChaosVerdict(
    IReadOnlyList<CheckResult> Checks,
    long Acked,
    long Stored,
    long StoredDuplicateTags,
    long DeliveredTotal,
    long DeliveredUnique,
    long LostAcked,
    long LostStored,
    long Phantoms,
    long OrderViolations,
    long ContentConflicts)
{
    /// <summary>True when every check held.</summary>
    public bool Passed => Checks.All(c => c.Passed);

    /// <summary>The check called <paramref name="name"/> when it failed; null when it passed.</summary>
    public CheckResult? Failed(string name) => Checks.FirstOrDefault(c => c.Name == name && !c.Passed);

    /// <summary>Deliveries beyond the first of each id (redelivery after a cut, a timeout or a kill).</summary>
    public long DuplicatesDelivered => DeliveredTotal - DeliveredUnique;
}

/// <summary>
/// Decides whether a chaos run lost or garbled anything: acked ⊆ stored ⊆ delivered (after dedup by id), no record
/// delivered that the log does not hold, one content per id, offsets increasing per partition in first-delivery
/// order, no dead letters, the service never down by itself, no wrong password accepted. Pure; thread-safe.
/// </summary>
internal static class ChaosChecker
{
    private const int Examples = 10;

    public static ChaosVerdict Check(ChaosEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var checks = new List<CheckResult>();
        var forwarded = evidence.Stored.Where(s => !IsDeadLetter(s.Topic)).ToList();
        var storedById = new Dictionary<string, StoredEntry>();
        foreach (var s in forwarded)
        {
            storedById[evidence.IdOf(s)] = s;
        }
        var firstDelivery = new Dictionary<string, Delivery>();
        foreach (var d in evidence.Delivered)
        {
            firstDelivery.TryAdd(d.Id, d);
        }

        checks.Add(new CheckResult("the fleet got acknowledgements", evidence.Acked.Count > 0,
            evidence.Acked.Count > 0 ? "" : "nothing was acknowledged: the run proves nothing"));

        // acked ⊆ stored: by tag, since a device that lost a PUBACK publishes again and the log may hold two copies.
        var storedTags = forwarded.Where(s => s.Tag is not null).Select(s => (s.Topic, s.Tag!)).ToHashSet();
        var deliveredTags = evidence.Delivered.Where(d => d.Tag is not null).Select(d => (d.Topic, d.Tag!)).ToHashSet();
        var lostAcked = evidence.Acked
            .Where(a => !storedTags.Contains((a.Topic, a.Tag)) && !(evidence.RetentionTopics.Contains(a.Topic) && deliveredTags.Contains((a.Topic, a.Tag))))
            .ToList();
        checks.Add(Result("acked ⊆ stored", lostAcked.Select(a => $"{a.Topic} {a.Tag} was acknowledged but is not in the log")));

        // stored ⊆ delivered, after dedup by id.
        var lostStored = forwarded.Where(s => !firstDelivery.ContainsKey(evidence.IdOf(s))).ToList();
        checks.Add(Result("stored ⊆ delivered", lostStored.Select(s => $"{evidence.IdOf(s)} ({s.Tag}) is stored but upstream never got it")));

        // Nothing upstream that the log does not hold (a record served before it was durable, then lost to a crash).
        var phantoms = firstDelivery.Values
            .Where(d => !evidence.RetentionTopics.Contains(d.Topic) && !storedById.ContainsKey(d.Id))
            .ToList();
        checks.Add(Result("delivered ⊆ stored", phantoms.Select(d => $"{d.Id} ({d.Tag}) was delivered but is not in the log")));

        // One content per id: upstream dedups by id, so a reused id with other bytes would silently drop a record.
        var conflicts = new List<string>();
        foreach (var group in evidence.Delivered.GroupBy(d => d.Id))
        {
            var hashes = group.Select(d => d.Hash).Distinct(StringComparer.Ordinal).ToList();
            if (hashes.Count > 1)
            {
                conflicts.Add($"{group.Key} was delivered with {hashes.Count} different contents ({string.Join(", ", group.Select(d => d.Tag).Distinct())})");
            }
            else if (storedById.TryGetValue(group.Key, out var s) && s.Hash != hashes[0])
            {
                conflicts.Add($"{group.Key} upstream ({group.First().Tag}) differs from the log ({s.Tag})");
            }
        }
        checks.Add(Result("same id, same content", conflicts));

        // Per-partition order: each id's first delivery comes in increasing offset order.
        var order = new List<string>();
        var last = new Dictionary<(string, int), long>();
        foreach (var d in evidence.Delivered.Where(d => ReferenceEquals(firstDelivery[d.Id], d)))
        {
            if (last.TryGetValue((d.Topic, d.Partition), out var previous) && d.Offset <= previous)
            {
                order.Add(string.Create(CultureInfo.InvariantCulture, $"{d.Topic}/{d.Partition}: offset {d.Offset} first delivered after {previous}"));
            }
            last[(d.Topic, d.Partition)] = Math.Max(previous, d.Offset);
        }
        checks.Add(Result("per-partition order upstream", order));

        var deadLetters = evidence.Stored.Where(s => IsDeadLetter(s.Topic)).ToList();
        checks.Add(Result("no dead letters", deadLetters.Select(s => $"{s.Topic}/{s.Partition}/{s.Offset} ({s.Tag}) was dead-lettered")));

        var down = evidence.ServiceFailures.ToList();
        if (evidence.UnexpectedExits > down.Count)
        {
            down.Add($"{evidence.UnexpectedExits} unexpected exits");
        }
        checks.Add(Result("the service never went down by itself", down));

        checks.Add(new CheckResult("wrong passwords refused", evidence.AuthBypasses == 0,
            evidence.AuthBypasses == 0 ? "" : $"{evidence.AuthBypasses} connections with a wrong password were accepted"));

        var storedDuplicateTags = forwarded.Where(s => s.Tag is not null).GroupBy(s => (s.Topic, s.Tag)).Sum(g => g.Count() - 1L);
        return new ChaosVerdict(checks, evidence.Acked.Count, forwarded.Count, storedDuplicateTags, evidence.Delivered.Count, firstDelivery.Count,
            lostAcked.Count, lostStored.Count, phantoms.Count, order.Count, conflicts.Count);
    }

    private static bool IsDeadLetter(string topic) => topic.EndsWith(".dlq", StringComparison.Ordinal);

    private static CheckResult Result(string name, IEnumerable<string> violations)
    {
        var all = violations.ToList();
        if (all.Count == 0)
        {
            return new CheckResult(name, true, "");
        }
        var shown = string.Join("\n      ", all.Take(Examples));
        var more = all.Count > Examples ? $"\n      … and {all.Count - Examples} more" : "";
        return new CheckResult(name, false, string.Create(CultureInfo.InvariantCulture, $"{all.Count} violations:\n      {shown}{more}"));
    }
}
