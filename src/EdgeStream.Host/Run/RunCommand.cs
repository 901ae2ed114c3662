using System.CommandLine;

namespace EdgeStream.Host.Run;

/// <summary>The <c>run</c> verb: the worker service.</summary>
internal static class RunCommand
{
    /// <summary>
    /// For <c>run</c>, System.CommandLine never cuts the stop short: by default it ends the process 2 s after SIGTERM
    /// or Ctrl+C, before the host has stopped its stages and closed the log (so the next start scans for recovery).
    /// Its signal handling stays on — the signal cancels <c>run</c>'s token, also while the log is still opening — but
    /// without a forced exit: the stop is bounded by the generic host's <c>shutdownTimeoutSeconds</c> instead. Other
    /// verbs keep the default.
    /// </summary>
    public static InvocationConfiguration InvocationFor(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.CommandResult.Command.Name == "run"
            ? new InvocationConfiguration { ProcessTerminationTimeout = Timeout.InfiniteTimeSpan }
            : new InvocationConfiguration();
    }

    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "A JSON settings file (layered over appsettings.json)." };
        var data = new Option<string?>("--data") { Description = "Data directory (overrides Log:DataDirectory)." };
        var mqttPort = new Option<int?>("--mqtt-port") { Description = "Embedded MQTT broker TCP port; 0 disables it (overrides Mqtt:Port)." };
        var httpPort = new Option<int?>("--http-port") { Description = "Admin HTTP port; 0 disables it (overrides Http:Port)." };
        var sink = new Option<string[]>("--sink")
        {
            Description = "Forward every topic to kafka://host:port, mqtt(s)://host:port, nats://host:port or http(s)://url (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("run", "Run EdgeStream as a service: ingest, store, forward.") { config, data, mqttPort, httpPort, sink };
        command.SetAction((parse, ct) => RunHost.RunAsync(
            new RunArguments(parse.GetValue(config)?.FullName, parse.GetValue(data), parse.GetValue(mqttPort), parse.GetValue(httpPort),
                parse.GetValue(sink) ?? [], [.. parse.UnmatchedTokens]),
            ct));
        return command;
    }
}

/// <summary>What the command line said to <c>run</c>.</summary>
internal sealed record RunArguments(string? ConfigFile, string? DataDirectory, int? MqttPort, int? HttpPort, string[] Sinks, string[] Rest);
