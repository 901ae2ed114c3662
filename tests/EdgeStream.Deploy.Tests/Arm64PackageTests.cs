using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.Deploy.Tests;

/// <summary>
/// The arm64 package as a Raspberry Pi would get it: lintian-clean, every native library built for AArch64, and the
/// program from the package, run under qemu-aarch64-static, stores every acknowledged QoS 1 message.
/// </summary>
[Collection(nameof(Arm64PackageCollection))]
[Trait("Category", "Slow")]
public sealed class Arm64PackageTests(Arm64Package package, ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new("deb-arm64-test");

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Arm64_package_passes_lintian_without_errors()
    {
        var lintian = ExternalProcess.Which("lintian") ?? throw new InvalidOperationException("lintian not found: install the Debian package 'lintian'.");

        var result = await ExternalProcess.RunAsync(lintian, ["--fail-on", "error", "--info", package.Deb], TimeSpan.FromMinutes(5));

        output.WriteLine($"publish + package: {package.BuildTime.TotalSeconds:F0} s\n{package.BuildOutput}\n{result.Output}");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain(result.Stdout.Split('\n'), l => l.StartsWith("E: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Arm64_package_holds_the_program_for_aarch64_with_librdkafka_and_declares_its_libraries()
    {
        var tree = _tmp.Combine("tree");
        Assert.Equal(0, (await ExternalProcess.RunAsync("dpkg-deb", ["-x", package.Deb, tree], TimeSpan.FromMinutes(2))).ExitCode);
        var control = (await ExternalProcess.RunAsync("dpkg-deb", ["-f", package.Deb], TimeSpan.FromMinutes(2))).Stdout;

        Assert.Contains("Architecture: arm64", control, StringComparison.Ordinal);
        var depends = control.Split('\n').Single(l => l.StartsWith("Depends: ", StringComparison.Ordinal));
        foreach (var dependency in new[] { "libc6 (>= 2.", "libssl3 | libssl3t64", "libgpiod2 | libgpiod3" })
        {
            Assert.Contains(dependency, depends, StringComparison.Ordinal);
        }
        var program = Path.Combine(tree, "usr/lib/edgestream");
        Assert.True(File.Exists(Path.Combine(program, "edgestream")));
        // Confluent's librdkafka build for linux-arm64 (the Kafka sink loads it at the first Kafka connection).
        Assert.True(File.Exists(Path.Combine(program, "librdkafka.so")), "librdkafka.so is missing");
        var elves = Directory.EnumerateFiles(program, "*", SearchOption.AllDirectories).Where(IsElf).ToList();
        Assert.Contains(elves, f => Path.GetFileName(f) == "librdkafka.so");
        foreach (var elf in elves)
        {
            var header = await ExternalProcess.RunAsync("readelf", ["-h", elf], TimeSpan.FromMinutes(2));
            Assert.True(header.Stdout.Contains("AArch64", StringComparison.Ordinal), $"{elf} is not an AArch64 file:\n{header.Stdout}");
        }
        // Nothing for another platform left beside it (runtimes/<rid>/native of other RIDs).
        Assert.False(Directory.Exists(Path.Combine(program, "runtimes")) &&
            Directory.EnumerateFiles(Path.Combine(program, "runtimes"), "*.so", SearchOption.AllDirectories).Any(f => !f.Contains("linux-arm64", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Arm64_program_installed_from_the_package_stores_every_acknowledged_qos1_message_under_qemu()
    {
        RequireRoot();
        var qemu = ExternalProcess.Which("qemu-aarch64-static") ?? throw new InvalidOperationException("qemu-aarch64-static not found: install the Debian package 'qemu-user-static'.");
        if (!File.Exists("/lib/ld-linux-aarch64.so.1"))
        {
            throw new InvalidOperationException("arm64 libraries missing: test.sh installs libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 zlib1g:arm64 libssl3:arm64.");
        }
        var root = new DpkgRoot(_tmp.Combine("root"));
        var install = await root.DpkgAsync("--install", package.Deb);
        Assert.True(install.ExitCode == 0, install.Output);
        var exe = root.Combine("usr/bin/edgestream");
        var data = _tmp.Combine("data");
        var port = Ports.Free();

        const int Count = 200;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using (var service = Emulated.Start(qemu, exe, "run", "--config", root.Combine("etc/edgestream/appsettings.json"), "--data", data,
            "--mqtt-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", "0"))
        {
            // JIT under emulation: the start takes ~15 s on an idle 2-core machine, minutes when it is busy.
            await Ports.WaitOpenAsync(port, TimeSpan.FromMinutes(8), () => service.HasExited);
            Assert.False(service.HasExited, service.Output);
            output.WriteLine($"ready after {started.Elapsed.TotalSeconds:F1} s");

            using var client = new MqttClientFactory().CreateMqttClient();
            using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("pi-sensor-1")
                .WithTimeout(TimeSpan.FromSeconds(60)).Build(), connectTimeout.Token);
            for (var i = 0; i < Count; i++)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/pi-sensor-1/telemetry")
                    .WithPayload($"reading-{i:D4}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
                Assert.True(ack.IsSuccess, $"message {i}: {ack.ReasonCode}");
            }
            await client.DisconnectAsync();
            output.WriteLine($"{Count} acknowledged after {started.Elapsed.TotalSeconds:F1} s");

            var code = await service.StopAsync(TimeSpan.FromMinutes(4));
            Assert.True(code == 0, $"exit code {code}: {service.Output}");
        }

        var dump = await ExternalProcess.RunAsync(qemu, ["-L", "/", exe, "log", "dump", "mqtt", "--data", data, "--format", "jsonl"], TimeSpan.FromMinutes(8));
        output.WriteLine($"dumped after {started.Elapsed.TotalSeconds:F1} s");

        Assert.True(dump.ExitCode == 0, dump.Output);
        var values = dump.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("value").GetString())
            .ToList();
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"reading-{i:D4}"), values);
    }

    private static readonly byte[] ElfMagic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    private static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var f = File.OpenRead(path);
        return f.Read(magic) == 4 && magic.SequenceEqual(ElfMagic);
    }

    private static void RequireRoot()
    {
        if (Environment.UserName != "root")
        {
            Assert.Skip("dpkg --root needs root, even against a throwaway root.");
        }
    }
}
