using System.CommandLine;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>The command line of <c>edgestream-chaos</c>: options to <see cref="ChaosOptions"/>; exit 0 when every check passed, 1 when one failed, 2 for bad options.</summary>
internal static class ChaosCommand
{
    public static RootCommand Create()
    {
        var seed = new Option<int?>("--seed") { Description = "Seed of every random choice (default: a fresh one, printed)." };
        var duration = Seconds("--duration", "Seconds the fleet publishes while faults run.", 300);
        var devices = new Option<int>("--devices") { Description = "Simulated MQTT devices.", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "Messages per second per device.", DefaultValueFactory = _ => 5 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the telemetry topic.", DefaultValueFactory = _ => 4 };
        var killEvery = Seconds("--kill-every", "Mean seconds between kill -9s of the service (0: none).", 20);
        var cutEvery = Seconds("--cut-every", "Mean seconds between upstream faults, alternately cut and black-hole (0: none).", 30);
        var cutFor = Seconds("--cut-for", "Seconds each upstream fault lasts.", 5);
        var diskFullEvery = Seconds("--disk-full-every", "Mean seconds between disk-full episodes (0: none).", 60);
        var diskFullFor = Seconds("--disk-full-for", "Seconds the disk stays full in an episode.", 4);
        var hostileEvery = Seconds("--hostile-every", "Mean seconds between rounds of hostile clients (0: none).", 20);
        var drainTimeout = Seconds("--drain-timeout", "Most seconds to wait, after the run, for upstream to have every stored record.", 120);
        var budget = new Option<long?>("--disk-budget") { Description = "Log:MaxDiskBytes (default: twice the telemetry the run can produce, plus 4 MiB)." };
        var edgestream = new Option<string?>("--edgestream") { Description = "The service's edgestream.dll (default: the one next to this program)." };
        var work = new Option<string?>("--work-dir") { Description = "Keep data, config and service log here (default: a temp directory, deleted when every check passes)." };
        var root = new RootCommand("edgestream-chaos: runs the real edgestream service under kill -9, upstream cuts and black-holes, a full disk budget " +
            "and hostile clients while a simulated fleet publishes numbered QoS 1 messages, then checks acked ⊆ stored ⊆ delivered upstream, " +
            "per-partition order and one content per id, and prints the figures. Exit code 1 when a check fails.")
        {
            seed, duration, devices, rate, partitions, killEvery, cutEvery, cutFor, diskFullEvery, diskFullFor, hostileEvery, drainTimeout, budget, edgestream, work,
        };
        root.SetAction(async (parse, ct) =>
        {
            var options = new ChaosOptions
            {
                Seed = parse.GetValue(seed) ?? Random.Shared.Next(1, int.MaxValue),
                Duration = parse.GetValue(duration),
                Devices = parse.GetValue(devices),
                Rate = parse.GetValue(rate),
                Partitions = parse.GetValue(partitions),
                KillEvery = parse.GetValue(killEvery),
                CutEvery = parse.GetValue(cutEvery),
                CutFor = parse.GetValue(cutFor),
                DiskFullEvery = parse.GetValue(diskFullEvery),
                DiskFullFor = parse.GetValue(diskFullFor),
                HostileEvery = parse.GetValue(hostileEvery),
                DrainTimeout = parse.GetValue(drainTimeout),
                DiskBudgetBytes = parse.GetValue(budget),
                Edgestream = parse.GetValue(edgestream),
                WorkDirectory = parse.GetValue(work),
            };
            return await RunAsync(options, Console.Out, ct);
        });
        return root;
    }

    /// <summary>Runs and prints; returns the exit code. Deletes a temp work directory when every check passed.</summary>
    public static async Task<int> RunAsync(ChaosOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ChaosReport report;
        try
        {
            report = await ChaosRun.RunAsync(options, output, cancellationToken);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("edgestream-chaos: " + e.Message);
            return 2;
        }
        report.Print(output);
        if (report.Passed && options.WorkDirectory is null)
        {
            try
            {
                Directory.Delete(report.WorkDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return report.Passed ? 0 : 1;
    }

    private static Option<TimeSpan> Seconds(string name, string description, double defaultSeconds) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => TimeSpan.FromSeconds(defaultSeconds),
        CustomParser = r => TimeSpan.FromSeconds(double.Parse(r.Tokens.Single().Value, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
