using System.Globalization;
using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>The figures of a chaos run and its checks; <see cref="Print"/> writes them for a person.</summary>
internal sealed class ChaosReport
{
    public required int Seed { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required TimeSpan FaultWindow { get; init; }
    public required int Kills { get; init; }
    public required int Cuts { get; init; }
    public required int BlackHoles { get; init; }
    public required int DiskFullEpisodes { get; init; }
    public required int DiskFullReached { get; init; }
    public required double BallastMiB { get; init; }
    public required string Hostile { get; init; }
    public required int HostileRounds { get; init; }
    public required FleetReport Fleet { get; init; }
    public required ChaosVerdict Verdict { get; init; }
    public required IReadOnlyList<TimeSpan> ReadyTimes { get; init; }
    public required long MaxHwmKb { get; init; }
    public required long MaxRssKb { get; init; }
    public required bool Drained { get; init; }
    public required TimeSpan DrainTime { get; init; }
    public required long UpstreamRequests { get; init; }
    public required string WorkDirectory { get; init; }

    public bool Passed => Verdict.Passed;

    public void Print(TextWriter output)
    {
        var v = Verdict;
        var ready = ReadyTimes.Select(t => t.TotalSeconds).Order().ToArray();
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        output.WriteLine();
        output.WriteLine(F($"seed                 {Seed}"));
        output.WriteLine(F($"duration             {Elapsed.TotalSeconds:F1} s (faults and fleet {FaultWindow.TotalSeconds:F1} s, drain {DrainTime.TotalSeconds:F1} s{(Drained ? "" : ", NOT drained")})"));
        output.WriteLine(F($"kills (kill -9)      {Kills}"));
        output.WriteLine(F($"upstream cuts        {Cuts} (+{DiskFullEpisodes} during disk-full episodes), black-holes {BlackHoles}"));
        output.WriteLine(F($"disk-full episodes   {DiskFullEpisodes} ({DiskFullReached} reached 507), ballast stored {BallastMiB:F1} MiB"));
        output.WriteLine(F($"hostile clients      {Hostile}"));
        output.WriteLine(F($"fleet                generated {Fleet.Generated}, acked {Fleet.Published}, failed publishes {Fleet.Failures}, unsent at the end {Fleet.Undelivered}, dropped {Fleet.Dropped}"));
        output.WriteLine(F($"acked                {v.Acked} (telemetry + ballast)"));
        output.WriteLine(F($"stored               {v.Stored} ({v.StoredDuplicateTags} republished copies after a lost PUBACK)"));
        output.WriteLine(F($"delivered            {v.DeliveredTotal} in {UpstreamRequests} batches, unique {v.DeliveredUnique}, duplicates {v.DuplicatesDelivered}"));
        output.WriteLine(F($"lost                 acked but not stored {v.LostAcked}, stored but not delivered {v.LostStored}"));
        output.WriteLine(F($"delivered not stored {v.Phantoms}, order violations {v.OrderViolations}, content conflicts {v.ContentConflicts}"));
        output.WriteLine(F($"max RSS              {MaxHwmKb / 1024.0:F1} MiB (VmHWM; highest VmRSS sample {MaxRssKb / 1024.0:F1} MiB)"));
        if (ready.Length > 0)
        {
            output.WriteLine(F($"time to ready        {ready.Length} starts: min {ready[0]:F2} s, median {ready[ready.Length / 2]:F2} s, max {ready[^1]:F2} s"));
        }
        output.WriteLine();
        foreach (var c in v.Checks)
        {
            output.WriteLine($"{(c.Passed ? "PASS" : "FAIL")}  {c.Name}{(c.Passed ? "" : ": " + c.Detail)}");
        }
        output.WriteLine();
        output.WriteLine(Passed ? "chaos: every check passed" : $"chaos: CHECKS FAILED (evidence kept in {WorkDirectory})");
    }
}
