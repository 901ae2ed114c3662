namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>Checks what an upstream received, identified by record id <c>{node}/{topic}/{partition}/{offset}</c>.</summary>
public static class Delivered
{
    /// <summary>
    /// De-duplicates <paramref name="ids"/> (in upstream arrival order) keeping first occurrences, and asserts that each
    /// partition's offsets are exactly 0..perPartition-1 in order: nothing missing, nothing extra, order kept.
    /// </summary>
    public static void AssertCompleteInOrder(IEnumerable<string> ids, string node, string topic, int partitions, int perPartition)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var byPartition = Enumerable.Range(0, partitions).Select(_ => new List<long>()).ToArray();
        foreach (var id in ids)
        {
            if (!seen.Add(id))
            {
                continue;
            }
            var parts = id.Split('/');
            Assert.Equal(4, parts.Length);
            Assert.Equal(node, parts[0]);
            Assert.Equal(topic, parts[1]);
            byPartition[int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)].Add(long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
        }
        for (var p = 0; p < partitions; p++)
        {
            Assert.Equal(perPartition, byPartition[p].Count);
            for (var i = 0; i < perPartition; i++)
            {
                if (byPartition[p][i] != i)
                {
                    Assert.Fail($"partition {p}: position {i} holds offset {byPartition[p][i]}");
                }
            }
        }
    }
}
