using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeStream.FirmwareSim.FaultProxy;
using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// One chaos run against the real service: start it, let a simulated fleet publish numbered QoS 1 telemetry while
/// seeded fault loops kill -9 it, cut and black-hole its upstream, fill its disk budget and send hostile clients;
/// then stop the faults, wait for upstream to have everything, stop the service, read its log and check.
/// </summary>
internal static class ChaosRun
{
    public static async Task<ChaosReport> RunAsync(ChaosOptions options, TextWriter console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var dll = options.Edgestream ?? ServiceBinary.Find()
            ?? throw new ArgumentException("edgestream.dll not found next to this program nor in src/EdgeStream.Host/bin: build src/EdgeStream.Host, or pass --edgestream.");
        if (!File.Exists(dll))
        {
            throw new ArgumentException($"--edgestream: {dll} does not exist.");
        }
        var work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("edgestream-chaos-").FullName;
        Directory.CreateDirectory(work);
        var data = Path.Combine(work, "data");
        var clock = new ChaosClock();
        var random = new Random(options.Seed);

        await using var upstream = await RecordingUpstream.StartAsync(cancellationToken);
        await using var proxy = TcpFaultProxy.Start(new IPEndPoint(IPAddress.Loopback, upstream.Port));
        var link = new LinkFaults(proxy);
        var (mqttPort, httpPort) = (FreePort(), FreePort());
        var config = Path.Combine(work, "config.json");
        await ServiceConfig.WriteAsync(config, options, proxy.Port, cancellationToken);

        await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"chaos: seed {options.Seed}, {options.Duration.TotalSeconds:F0} s, {options.Devices} devices × {options.Rate} msg/s QoS 1, " +
            $"kill every ~{options.KillEvery.TotalSeconds:F0} s, link fault every ~{options.CutEvery.TotalSeconds:F0} s for {options.CutFor.TotalSeconds:F0} s, " +
            $"disk full every ~{options.DiskFullEvery.TotalSeconds:F0} s (budget {options.EffectiveDiskBudget / 1048576.0:F1} MiB), hostile every ~{options.HostileEvery.TotalSeconds:F0} s"));
        await console.WriteLineAsync($"chaos: work directory {work} (service log: {Path.Combine(work, "service.log")}); MQTT 127.0.0.1:{mqttPort}, admin 127.0.0.1:{httpPort}, upstream {upstream.Url} via proxy :{proxy.Port}");

        var ledger = new AckLedger();
        string[] args = ["run", "--config", config, "--data", data, "--mqtt-port", Str(mqttPort), "--http-port", Str(httpPort)];
        await using var service = new ServiceSupervisor(dll, args, httpPort, options.ReadyTimeout, Path.Combine(work, "service.log"), console, clock);
        await service.StartAsync(cancellationToken);
        if (service.ReadyTimes.Count == 0)
        {
            throw new InvalidOperationException("the service never became ready: " + string.Join("\n", service.Failures));
        }
        await console.WriteLineAsync($"{clock.Stamp} service ready after {service.ReadyTimes[0].TotalSeconds:F1} s");

        using var ballastHttp = new HttpClient { BaseAddress = service.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        var filler = new DiskFiller(ledger, console, clock);
        var hostile = new HostileClients(mqttPort, ServiceConfig.User, new Random(random.Next()));
        var kills = 0;
        // Leave the fleet time at the end to flush what it buffered during the last fault.
        var fleetStart = clock.Elapsed;
        var windowEnd = fleetStart + options.Duration - TimeSpan.FromSeconds(Math.Min(10, options.Duration.TotalSeconds * 0.15));
        var fleetOptions = new FleetOptions
        {
            Host = "127.0.0.1",
            Port = mqttPort,
            Devices = options.Devices,
            Rate = options.Rate,
            Duration = options.Duration,
            Qos = 1,
            Protocol = MqttProtocol.V500,
            Seed = random.Next(),
            Timeout = TimeSpan.FromSeconds(5),
            MaxBuffered = 1_000_000,
            OnAcknowledged = r => ledger.Add(ServiceConfig.TelemetryTopic, RecordTag.Telemetry(r.Device, r.Sequence)),
        };
        var fleet = Fleet.Fleet.RunAsync(fleetOptions, cancellationToken);
        Task[] faults =
        [
            FaultSchedule.RunAsync(options.KillEvery, TimeSpan.FromSeconds(3), new Random(random.Next()), clock, windowEnd, async (n, ct) =>
            {
                var peak = service.CurrentHwmKb;
                await service.KillAndRestartAsync(ct);
                await console.WriteLineAsync($"{clock.Stamp} kill -9 #{n + 1} (acked so far {ledger.Count}; that incarnation's peak RSS {peak / 1024} MiB)");
                Interlocked.Increment(ref kills);
                await console.WriteLineAsync($"{clock.Stamp} service ready again after {service.ReadyTimes[^1].TotalSeconds:F1} s");
            }, cancellationToken),
            FaultSchedule.RunAsync(options.CutEvery, options.CutFor, new Random(random.Next()), clock, windowEnd, async (n, ct) =>
            {
                var blackHole = n % 2 == 1;
                await console.WriteLineAsync($"{clock.Stamp} upstream {(blackHole ? "black-holed" : "cut")} for {options.CutFor.TotalSeconds:F0} s");
                using (blackHole ? link.BlackHole() : link.Cut())
                {
                    await Task.Delay(options.CutFor, ct);
                }
                await console.WriteLineAsync($"{clock.Stamp} upstream restored");
            }, cancellationToken),
            FaultSchedule.RunAsync(options.DiskFullEvery, options.DiskFullFor + TimeSpan.FromSeconds(5), new Random(random.Next()), clock, windowEnd, async (n, ct) =>
            {
                await console.WriteLineAsync($"{clock.Stamp} disk-full episode #{n + 1}: upstream cut, posting ballast until the budget refuses it");
                await filler.RunEpisodeAsync(ballastHttp, link, options.EffectiveDiskBudget, options.DiskFullFor, ct);
                await console.WriteLineAsync($"{clock.Stamp} disk-full episode #{n + 1} over (peak RSS so far in this incarnation {service.CurrentHwmKb / 1024} MiB): upstream restored, ballast drains");
            }, cancellationToken),
            FaultSchedule.RunAsync(options.HostileEvery, TimeSpan.FromSeconds(8), new Random(random.Next()), clock, windowEnd, async (n, ct) =>
            {
                // Aim at a running broker: a round against a restarting service tests nothing.
                await service.WaitReadyAsync(options.ReadyTimeout, ct);
                await hostile.RunRoundAsync(ct);
                await console.WriteLineAsync($"{clock.Stamp} hostile round #{n + 1} done (peak RSS so far in this incarnation {service.CurrentHwmKb / 1024} MiB): {hostile.Summary}");
            }, cancellationToken),
        ];
        await Task.WhenAll(faults);
        var fleetReport = await fleet;
        var faultEnd = clock.Elapsed;
        await console.WriteLineAsync($"{clock.Stamp} fleet done: generated {fleetReport.Generated}, acked {fleetReport.Published}, failed publishes {fleetReport.Failures}, still buffered {fleetReport.Undelivered}; draining");

        var drained = await DrainWatcher.WaitAsync(service.Http, upstream, options.DrainTimeout, cancellationToken);
        var drainTime = clock.Elapsed - faultEnd;
        await console.WriteLineAsync($"{clock.Stamp} {(drained ? "upstream has every stored record" : "drain deadline passed")}; stopping the service");
        var exitCode = await service.StopAsync(TimeSpan.FromSeconds(30));

        var stored = new List<StoredEntry>();
        foreach (var topic in new[] { ServiceConfig.TelemetryTopic, DiskFiller.Topic, ServiceConfig.TelemetryTopic + ".dlq", DiskFiller.Topic + ".dlq" })
        {
            stored.AddRange(await LogDump.ReadAsync(dll, data, topic, cancellationToken));
        }
        var failures = service.Failures.ToList();
        if (exitCode is not 0)
        {
            failures.Add($"a graceful stop (SIGTERM) ended with {(exitCode is { } c ? "exit code " + Str(c) : "a kill after 30 s")}");
        }
        var evidence = new ChaosEvidence
        {
            NodeId = ServiceConfig.NodeId,
            RetentionTopics = new HashSet<string> { DiskFiller.Topic },
            Acked = ledger.Snapshot(),
            Stored = stored,
            Delivered = upstream.Snapshot(),
            UnexpectedExits = service.UnexpectedExits,
            ServiceFailures = failures,
            AuthBypasses = hostile.AuthBypasses,
        };
        var verdict = ChaosChecker.Check(evidence);
        return new ChaosReport
        {
            Seed = options.Seed,
            Elapsed = clock.Elapsed,
            FaultWindow = faultEnd - fleetStart,
            Kills = kills,
            Cuts = link.CutCount - filler.Episodes,
            BlackHoles = link.BlackHoleCount,
            DiskFullEpisodes = filler.Episodes,
            DiskFullReached = filler.ReachedFull,
            BallastMiB = filler.BytesStored / 1048576.0,
            Hostile = hostile.Summary,
            HostileRounds = hostile.Rounds,
            Fleet = fleetReport,
            Verdict = verdict,
            ReadyTimes = service.ReadyTimes,
            MaxHwmKb = service.MaxHwmKb,
            MaxRssKb = service.MaxRssKb,
            Drained = drained,
            DrainTime = drainTime,
            UpstreamRequests = upstream.Requests,
            WorkDirectory = work,
        };
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
