namespace EdgeStream.FirmwareSim.Chaos.Tests;

/// <summary>The checker on crafted evidence: a clean run passes, and each kind of loss or disorder fails its check.</summary>
public class ChaosCheckerTests
{
    private const string Node = "n1";

    [Fact]
    public void A_run_where_everything_acked_was_stored_and_delivered_in_order_passes_every_check()
    {
        var verdict = ChaosChecker.Check(Evidence());

        Assert.True(verdict.Passed, Failures(verdict));
        Assert.Equal(3, verdict.Acked);
        Assert.Equal(4, verdict.DeliveredTotal);
        Assert.Equal(1, verdict.DuplicatesDelivered);
    }

    [Fact]
    public void An_acked_message_missing_from_the_log_fails_acked_subset_of_stored()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, stored: e.Stored.Where(s => s.Tag != "d1#1").ToList(), delivered: e.Delivered.Where(d => d.Tag != "d1#1").ToList()));

        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.LostAcked);
        Assert.Contains("d1#1", Failed(verdict, "acked ⊆ stored").Detail);
    }

    [Fact]
    public void A_stored_record_upstream_never_got_fails_stored_subset_of_delivered()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, delivered: e.Delivered.Where(d => d.Offset != 2).ToList()));

        Assert.Equal(1, verdict.LostStored);
        Assert.Contains("n1/telemetry/0/2", Failed(verdict, "stored ⊆ delivered").Detail);
    }

    [Fact]
    public void A_record_delivered_but_not_in_the_log_fails_delivered_subset_of_stored()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, delivered: [.. e.Delivered, D(0, 3, "h-ghost", "d9#9")]));

        Assert.Equal(1, verdict.Phantoms);
        Assert.Contains("n1/telemetry/0/3", Failed(verdict, "delivered ⊆ stored").Detail);
    }

    [Fact]
    public void One_id_delivered_with_two_contents_fails_same_id_same_content()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, delivered: [.. e.Delivered, D(0, 1, "h-other", "d1#1")]));

        Assert.Equal(1, verdict.ContentConflicts);
        Assert.Contains("n1/telemetry/0/1", Failed(verdict, "same id, same content").Detail);
    }

    [Fact]
    public void A_partition_first_delivered_out_of_offset_order_fails_the_order_check()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, delivered: [e.Delivered[1], e.Delivered[0], .. e.Delivered.Skip(2)]));

        Assert.Equal(1, verdict.OrderViolations);
        Assert.Contains("telemetry/0: offset 0 first delivered after 1", Failed(verdict, "per-partition order upstream").Detail);
    }

    [Fact]
    public void Acked_ballast_that_retention_deleted_after_delivery_counts_as_kept()
    {
        var e = Evidence();
        var ballast = new Delivery($"{Node}/ballast/0/0", "ballast", 0, 0, "h-b", "ballast#1");
        var verdict = ChaosChecker.Check(With(e, acked: [.. e.Acked, new AckedMessage("ballast", "ballast#1")], delivered: [.. e.Delivered, ballast],
            retention: new HashSet<string> { "ballast" }));

        Assert.True(verdict.Passed, Failures(verdict));
    }

    [Fact]
    public void A_run_where_nothing_was_acknowledged_fails()
    {
        var verdict = ChaosChecker.Check(With(Evidence(), acked: []));

        Assert.NotNull(verdict.Failed("the fleet got acknowledgements"));
    }

    [Fact]
    public void An_unexpected_exit_of_the_service_or_an_accepted_wrong_password_fails()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(new ChaosEvidence
        {
            NodeId = Node, Acked = e.Acked, Stored = e.Stored, Delivered = e.Delivered, UnexpectedExits = 1, AuthBypasses = 2,
        });

        Assert.Contains("1 unexpected exits", Failed(verdict, "the service never went down by itself").Detail);
        Assert.Contains("2 connections", Failed(verdict, "wrong passwords refused").Detail);
    }

    [Fact]
    public void A_dead_lettered_record_fails_no_dead_letters()
    {
        var e = Evidence();
        var verdict = ChaosChecker.Check(With(e, stored: [.. e.Stored, new StoredEntry("telemetry.dlq", 0, 0, "h1", "d1#1")]));

        Assert.Contains("telemetry.dlq/0/0", Failed(verdict, "no dead letters").Detail);
    }

    /// <summary>Three acked readings, stored at offsets 0..2 of one partition, delivered in order with offset 1 twice.</summary>
    private static ChaosEvidence Evidence() => new()
    {
        NodeId = Node,
        Acked = [new AckedMessage("telemetry", "d1#0"), new AckedMessage("telemetry", "d1#1"), new AckedMessage("telemetry", "d2#0")],
        Stored = [S(0, "h0", "d1#0"), S(1, "h1", "d1#1"), S(2, "h2", "d2#0")],
        Delivered = [D(0, 0, "h0", "d1#0"), D(0, 1, "h1", "d1#1"), D(0, 1, "h1", "d1#1"), D(0, 2, "h2", "d2#0")],
    };

    private static ChaosEvidence With(ChaosEvidence e, IReadOnlyCollection<AckedMessage>? acked = null, IReadOnlyList<StoredEntry>? stored = null,
        IReadOnlyList<Delivery>? delivered = null, IReadOnlySet<string>? retention = null) => new()
    {
        NodeId = e.NodeId,
        Acked = acked ?? e.Acked,
        Stored = stored ?? e.Stored,
        Delivered = delivered ?? e.Delivered,
        RetentionTopics = retention ?? e.RetentionTopics,
    };

    private static StoredEntry S(long offset, string hash, string tag) => new("telemetry", 0, offset, hash, tag);

    private static Delivery D(int partition, long offset, string hash, string tag) => new($"{Node}/telemetry/{partition}/{offset}", "telemetry", partition, offset, hash, tag);

    private static CheckResult Failed(ChaosVerdict verdict, string name) =>
        verdict.Failed(name) ?? throw new Xunit.Sdk.XunitException($"check '{name}' passed; expected it to fail. {Failures(verdict)}");

    private static string Failures(ChaosVerdict verdict) => string.Join("; ", verdict.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}"));
}
