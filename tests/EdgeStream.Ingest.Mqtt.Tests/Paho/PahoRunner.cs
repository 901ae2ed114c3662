using System.Globalization;
using EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

namespace EdgeStream.Ingest.Mqtt.Tests.Paho;

/// <summary>
/// Runs one Eclipse Paho interoperability test (tests/paho-interop, copied next to the test assembly) with Debian's
/// python3 against a fresh embedded broker on a free loopback port, killing it after a bound.
/// </summary>
internal static class PahoRunner
{
    public const string Python = "/usr/bin/python3";

    /// <summary>
    /// The configuration every Paho test runs with: defaults plus the refusal test_subscribe_failure needs and the
    /// 60 s keep alive limit test_server_keep_alive expects (EdgeStream sets none by default).
    /// </summary>
    public static void Configure(MqttIngestOptions o)
    {
        o.AnonymousAcl = new MqttAclOptions { DenySubscribe = ["test/nosubscribe"] };
        o.MaxKeepAlive = TimeSpan.FromSeconds(60);
    }

    /// <summary>Tests that are known not to pass yet, with the reason (see the report in docs/mqtt.md).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownGaps = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["client_test.test_overlapping_subscriptions"] = "times out on a loaded machine (fails on Mosquitto 2.0.11 here too)",
    };

    public static async Task RunAsync(string module, string test)
    {
        Assert.SkipUnless(File.Exists(Python), "python3 is not installed (test.sh installs it)");
        var directory = Path.Combine(AppContext.BaseDirectory, "paho-interop");
        // test_flow_control2 waits forever for a DISCONNECT that a broker without a receive maximum never sends.
        var bound = test == "test_flow_control2" ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(90);
        var name = $"{module}.{test}";
        var (exitCode, output) = await RunOnceAsync(directory, module, test, bound);
        if (exitCode != 0 && !KnownGaps.ContainsKey(name))
        {
            // The Paho client waits 0.5 s for CONNACK and 0.2 s for some PUBACKs (which wait for fsync here): on a
            // loaded machine one retry on a fresh broker separates a slow moment from a real failure.
            TestContext.Current.SendDiagnosticMessage($"paho {name}: failed once, retrying:\n{Tail(output)}");
            (exitCode, output) = await RunOnceAsync(directory, module, test, bound);
        }
        TestContext.Current.SendDiagnosticMessage($"paho {name}: {(exitCode == 0 ? "PASS" : "FAIL")}");
        if (exitCode != 0 && KnownGaps.TryGetValue(name, out var reason))
        {
            Assert.Skip($"known gap ({reason}); Paho output:\n{Tail(output)}");
        }
        Assert.True(exitCode == 0, $"Paho {name} failed (exit {exitCode}):\n{Tail(output)}");
    }

    private static async Task<(int ExitCode, string Output)> RunOnceAsync(string directory, string module, string test, TimeSpan bound)
    {
        await using var broker = await TestBroker.StartAsync(Configure);
        try
        {
            var run = await ExternalProcess.RunAsync(Python, [Path.Combine(directory, "run_one.py"), module, test, "127.0.0.1", broker.Port.ToString(CultureInfo.InvariantCulture)], bound);
            return (run.ExitCode, run.Output);
        }
        catch (TimeoutException e)
        {
            // A hang is a failure like any other (a known gap may be one), with what the client printed so far.
            return (-1, e.Message);
        }
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
