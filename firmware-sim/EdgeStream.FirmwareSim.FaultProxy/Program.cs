using System.Globalization;
using System.Net;
using EdgeStream.FirmwareSim.FaultProxy;

// Tiny CLI: fault-proxy <listen host:port> <upstream host:port>, then commands on stdin:
//   cut | restore | blackhole on|off | latency <ms> | bandwidth <bytes/s> | status | quit
if (args.Length != 2 || !IPEndPoint.TryParse(args[0], out var listen) || !IPEndPoint.TryParse(args[1], out var upstream))
{
    await Console.Error.WriteLineAsync("usage: fault-proxy <listen ip:port> <upstream ip:port>   (then: cut|restore|blackhole on|off|latency <ms>|bandwidth <B/s>|status|quit on stdin)");
    return 2;
}
await using var proxy = TcpFaultProxy.Start(upstream, listen);
Console.WriteLine($"listening on {listen.Address}:{proxy.Port} -> {upstream}");
while (await Console.In.ReadLineAsync() is { } line)
{
    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    switch (parts.FirstOrDefault())
    {
        case "cut": proxy.Cut = true; break;
        case "restore": proxy.Cut = false; proxy.BlackHole = false; break;
        case "blackhole": proxy.BlackHole = parts.ElementAtOrDefault(1) != "off"; break;
        case "latency": proxy.Latency = TimeSpan.FromMilliseconds(double.Parse(parts[1], CultureInfo.InvariantCulture)); break;
        case "bandwidth": proxy.BytesPerSecond = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
        case "status": Console.WriteLine($"connections={proxy.ConnectionCount} cut={proxy.Cut} blackhole={proxy.BlackHole} latency={proxy.Latency.TotalMilliseconds}ms bandwidth={proxy.BytesPerSecond}"); break;
        case "quit": return 0;
        case null: break;
        default: Console.WriteLine($"unknown command: {line}"); break;
    }
}
return 0;
