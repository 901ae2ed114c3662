using System.CommandLine;
using EdgeStream.FirmwareSim;

var root = new RootCommand("edgestream-sim: simulated MQTT devices for EdgeStream (or any broker).")
{
    FleetCommand.Create(),
    LoadCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
