using EdgeStream.FirmwareSim.Chaos;

return await ChaosCommand.Create().Parse(args).InvokeAsync();
