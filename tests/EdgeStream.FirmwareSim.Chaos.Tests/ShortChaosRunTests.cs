namespace EdgeStream.FirmwareSim.Chaos.Tests;

/// <summary>
/// The short version of the chaos run in the suite: the real edgestream process for 30 s under kill -9, an upstream
/// cut and black-hole, a disk-full episode and hostile clients; every check of the program must hold.
/// </summary>
[Trait("Category", "Slow")]
public class ShortChaosRunTests
{
    [Fact]
    public async Task Thirty_seconds_of_kills_cuts_a_full_disk_and_hostile_clients_lose_nothing_acked_and_deliver_everything_stored()
    {
        var options = new ChaosOptions
        {
            Seed = 20261130,
            Duration = TimeSpan.FromSeconds(30),
            Devices = 6,
            Rate = 5,
            Partitions = 3,
            KillEvery = TimeSpan.FromSeconds(8),
            CutEvery = TimeSpan.FromSeconds(6),
            CutFor = TimeSpan.FromSeconds(2),
            DiskFullEvery = TimeSpan.FromSeconds(8),
            DiskFullFor = TimeSpan.FromSeconds(2),
            HostileEvery = TimeSpan.FromSeconds(10),
            DrainTimeout = TimeSpan.FromSeconds(60),
            // Starts took up to 30 s on a 2-core machine busy with parallel builds; the check is "never down", not "fast".
            ReadyTimeout = TimeSpan.FromSeconds(120),
        };
        var output = new StringWriter();
        var report = await ChaosRun.RunAsync(options, TextWriter.Synchronized(output), TestContext.Current.CancellationToken);
        report.Print(output);
        var text = output.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(text);

        Assert.True(report.Passed, text);
        // The faults really happened: a run without them would prove nothing.
        Assert.True(report.Kills >= 2, text);
        Assert.True(report.Cuts >= 1 && report.BlackHoles >= 1, text);
        Assert.True(report.DiskFullReached >= 1, text);
        Assert.True(report.HostileRounds >= 1, text);
        Assert.True(report.Verdict.Acked > 100, text);
        Directory.Delete(report.WorkDirectory, recursive: true);
    }
}
