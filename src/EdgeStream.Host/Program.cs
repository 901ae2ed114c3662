using System.CommandLine;
using EdgeStream.Host;
using EdgeStream.Host.Demo;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Host.Run;

var root = new RootCommand("EdgeStream: an edge telemetry collector with a durable local log.")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    LogCommand.Create(),
    EdgeStream.Host.RuleVerbs.RulesCommand.Create(),
    EdgeStream.Host.Mqtt.MqttCommand.Create(),
};
var parse = root.Parse(args);
return UsageExitCode.For(parse, await parse.InvokeAsync(RunCommand.InvocationFor(parse)));
