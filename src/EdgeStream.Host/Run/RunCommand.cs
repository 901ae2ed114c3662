using System.CommandLine;

namespace EdgeStream.Host.Run;

/// <summary>The <c>run</c> verb: the worker service.</summary>
internal static class RunCommand
{
    /// <summary>
    /// For <c>run</c>, System.CommandLine's own SIGTERM/Ctrl+C handling is off: it would end the process 2 s after the
    /// signal, cutting the host's graceful stop short (no clean log close, so the next start scans for recovery). The
    /// generic host handles the signals instead and stops within its <c>shutdownTimeoutSeconds</c>. Other verbs keep
    /// the default (Ctrl+C cancels them).
    /// </summary>
    public static InvocationConfiguration InvocationFor(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.CommandResult.Command.Name == "run" ? new InvocationConfiguration { ProcessTerminationTimeout = null } : new InvocationConfiguration();
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
