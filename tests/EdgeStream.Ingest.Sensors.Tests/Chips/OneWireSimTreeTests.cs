using System.Reflection;
using EdgeStream.FirmwareSim.Chips.OneWire;
using EdgeStream.FirmwareSim.Chips.Signals;
using Iot.Device.OneWire;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Tests.Chips;

public sealed class OneWireSimTreeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("w1-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Scratchpad_matches_the_datasheet_example_and_its_crc_checks()
    {
        // DS18B20 datasheet Table 1: +25.0625 °C is 0x0191.
        byte[] pad = OneWireSimTree.Scratchpad(25.0625);
        Assert.Equal(0x91, pad[0]);
        Assert.Equal(0x01, pad[1]);
        Assert.Equal(0, DallasCrc8.Compute(pad));
    }

    [Fact]
    public void Tree_writes_kernel_formatted_w1_slave_files()
    {
        var tree = new OneWireSimTree(_root);
        tree.AddThermometer("28-000005e2fdc3", Signal.Constant(23.125));
        tree.Convert("28-000005e2fdc3");

        string text = File.ReadAllText(tree.SlavePath("28-000005e2fdc3"));
        Assert.Equal("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n", text);
        Assert.Equal("28-000005e2fdc3\n", File.ReadAllText(Path.Combine(_root, "w1_bus_master1", "w1_master_slaves")));
    }

    [Fact]
    public void The_bindings_own_parser_accepts_good_files_and_rejects_bad_crc()
    {
        // The binding hard-codes /sys/devices, so its private parser is called directly to prove the files are what it expects.
        var parse = typeof(OneWireThermometerDevice).GetMethod("ParseTemperature", BindingFlags.NonPublic | BindingFlags.Static)!;
        var tree = new OneWireSimTree(_root);
        var probe = tree.AddThermometer("28-0316a1e2b3ff", Signal.Constant(-10.5));
        tree.Convert(probe.DeviceId);
        var good = (Temperature)parse.Invoke(null, [File.ReadAllText(tree.SlavePath(probe.DeviceId))])!;
        Assert.Equal(-10.5, good.DegreesCelsius, 3);

        probe.Faults.BadCrc = true;
        tree.Convert(probe.DeviceId);
        var error = Assert.Throws<TargetInvocationException>(() => parse.Invoke(null, [File.ReadAllText(tree.SlavePath(probe.DeviceId))]));
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void Unplugged_probe_loses_its_sysfs_entry()
    {
        var tree = new OneWireSimTree(_root);
        var probe = tree.AddThermometer("28-0316a1e2b3ff", Signal.Constant(5));
        tree.Convert(probe.DeviceId);
        probe.Faults.Nack = true;
        tree.Convert(probe.DeviceId);
        Assert.False(File.Exists(tree.SlavePath(probe.DeviceId)));
    }
}
