using System.Text.Json.Nodes;
using EdgeStream.Ingest.Mqtt.Auth;

namespace EdgeStream.FirmwareSim.Chaos;

/// <summary>
/// The <c>--config</c> file of the service under chaos: MQTT telemetry routed to a partitioned topic keyed by device,
/// a user for the wrong-password clients, a disk budget, a ballast topic with retention, and one HTTP sink through
/// the fault proxy with short timeouts and backoff so recoveries show within a short run.
/// </summary>
internal static class ServiceConfig
{
    public const string NodeId = "chaos";
    public const string TelemetryTopic = "telemetry";
    public const string SinkName = "upstream";
    public const string User = "chaos-user";

    public static async Task WriteAsync(string path, ChaosOptions options, int proxyPort, CancellationToken cancellationToken)
    {
        var config = new JsonObject
        {
            ["Log"] = new JsonObject
            {
                ["CommitPolicy"] = "group",
                ["MaxDiskBytes"] = options.EffectiveDiskBudget,
                ["RetentionCheckInterval"] = "00:00:01",
                ["Topics"] = new JsonObject
                {
                    [TelemetryTopic] = new JsonObject { ["Partitions"] = options.Partitions, ["SegmentBytes"] = 1 << 20, ["WhenFull"] = "Reject" },
                    // Ballast may go once upstream has it: small segments and a tiny retention free the budget quickly.
                    [DiskFiller.Topic] = new JsonObject { ["Partitions"] = 1, ["SegmentBytes"] = 1 << 20, ["RetentionBytes"] = 1, ["WhenFull"] = "Reject" },
                },
            },
            ["Mqtt"] = new JsonObject
            {
                ["Host"] = "127.0.0.1",
                ["Routes"] = new JsonArray(new JsonObject { ["Filter"] = "devices/+/telemetry", ["Topic"] = TelemetryTopic, ["Key"] = "{1}" }),
                // Anonymous stays allowed on loopback for the fleet; this user exists so that wrong passwords have something to miss.
                ["Users"] = new JsonArray(new JsonObject { ["Username"] = User, ["PasswordHash"] = PasswordHasher.Hash(Guid.NewGuid().ToString("N"), 1000) }),
            },
            ["Http"] = new JsonObject { ["Address"] = "127.0.0.1" },
            ["Forwarding"] = new JsonObject
            {
                ["NodeId"] = NodeId,
                ["TopicDiscoveryInterval"] = "00:00:01",
                ["Sinks"] = new JsonArray(new JsonObject
                {
                    ["Name"] = SinkName,
                    ["Type"] = "http",
                    ["Retry"] = new JsonObject { ["InitialDelay"] = "00:00:00.2", ["MaxDelay"] = "00:00:02", ["BreakDuration"] = "00:00:02" },
                    ["Settings"] = new JsonObject { ["Url"] = $"http://127.0.0.1:{proxyPort}/ingest", ["TimeoutMs"] = "4000" },
                }),
            },
        };
        await File.WriteAllTextAsync(path, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    }
}
