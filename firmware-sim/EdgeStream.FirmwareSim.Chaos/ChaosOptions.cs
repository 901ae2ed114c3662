namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>What one chaos run does. Every fault schedule derives from <see cref="Seed"/>; a zero interval turns that fault off.</summary>
internal sealed class ChaosOptions
{
    /// <summary>Seed of every random choice (fault times, device telemetry, hostile bytes).</summary>
    public int Seed { get; set; } = 1;

    /// <summary>How long the fleet publishes and faults are injected (the drain and the checks come after).</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Simulated MQTT devices publishing numbered QoS 1 telemetry.</summary>
    public int Devices { get; set; } = 10;

    /// <summary>Messages per second per device.</summary>
    public double Rate { get; set; } = 5;

    /// <summary>Partitions of the telemetry topic.</summary>
    public int Partitions { get; set; } = 4;

    /// <summary>Mean time between kill -9s of the service (each interval is uniform in 0.5..1.5 × this).</summary>
    public TimeSpan KillEvery { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Mean time between upstream link faults, alternately a cut and a black-hole.</summary>
    public TimeSpan CutEvery { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each link fault lasts.</summary>
    public TimeSpan CutFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Mean time between disk-full episodes (upstream cut, ballast posted until the budget refuses it, held).</summary>
    public TimeSpan DiskFullEvery { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the disk stays full once the budget refused the first append.</summary>
    public TimeSpan DiskFullFor { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Mean time between rounds of hostile clients.</summary>
    public TimeSpan HostileEvery { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait, after the fleet stopped, for upstream to have every stored record.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest wait for the service to answer /readyz after a (re)start.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>Log:MaxDiskBytes</c>; null: room for twice the telemetry the run can produce plus 4 MiB.</summary>
    public long? DiskBudgetBytes { get; set; }

    /// <summary>The service's <c>edgestream.dll</c>; null: the one next to this program.</summary>
    public string? Edgestream { get; set; }

    /// <summary>Where the data directory, config and service log go; null: a temp directory, deleted when every check passes.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>The disk budget this run uses.</summary>
    public long EffectiveDiskBudget => DiskBudgetBytes ?? (4L << 20) + (long)(2 * Devices * Rate * Duration.TotalSeconds * 600);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Require(Duration >= TimeSpan.FromSeconds(5) && Duration <= TimeSpan.FromDays(7), $"--duration must be 5 s .. 7 days (was {Duration.TotalSeconds} s).");
        Require(Devices is >= 1 and <= 2000, $"--devices must be 1..2000 (was {Devices}).");
        Require(Rate is >= 0.01 and <= 1000, $"--rate must be 0.01..1000 (was {Rate}).");
        Require(Partitions is >= 1 and <= 64, $"--partitions must be 1..64 (was {Partitions}).");
        foreach (var (name, value) in new[] { ("--kill-every", KillEvery), ("--cut-every", CutEvery), ("--disk-full-every", DiskFullEvery), ("--hostile-every", HostileEvery) })
        {
            Require(value == TimeSpan.Zero || value >= TimeSpan.FromSeconds(1), $"{name} must be 0 (off) or at least 1 s (was {value.TotalSeconds} s).");
        }
        Require(CutFor > TimeSpan.Zero && DiskFullFor > TimeSpan.Zero, "--cut-for and --disk-full-for must be positive.");
        Require(DrainTimeout > TimeSpan.Zero && ReadyTimeout > TimeSpan.Zero, "--drain-timeout and --ready-timeout must be positive.");
        Require(DiskBudgetBytes is null or >= 1 << 20, $"--disk-budget must be at least 1048576 bytes (was {DiskBudgetBytes}).");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
