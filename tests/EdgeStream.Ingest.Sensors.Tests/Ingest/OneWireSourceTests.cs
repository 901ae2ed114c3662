using EdgeStream.FirmwareSim.Chips.Signals;
using EdgeStream.Simulation.Sensors;
using EdgeStream.Ingest.Sensors.Options;
using EdgeStream.Ingest.Sensors.Runtime;
using EdgeStream.Ingest.Sensors.Sources;
using EdgeStream.Ingest.Sensors.Tests.Support;

namespace EdgeStream.Ingest.Sensors.Tests.Ingest;

public sealed class OneWireSourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("w1-").FullName;
    private readonly SimulatedHardware _hardware = new(TimeProvider.System);

    public void Dispose()
    {
        _hardware.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private (Harness, FirmwareSim.Chips.OneWire.SimulatedDs18b20) Start(ConstantSignal temperature)
    {
        var options = Harness.Config("tank", SensorTypes.Ds18b20, o =>
        {
            o.DeviceId = "28-0316a1e2b3ff";
            o.Simulation.OneWireRoot = _root;
        });
        var probe = _hardware.Tree(_root).AddThermometer(options.DeviceId!, temperature);
        return (new Harness(options, SensorFactory.CreatePolled(options, _hardware)), probe);
    }

    [Fact]
    public async Task Ds18b20_source_reads_the_probe_through_the_sysfs_tree()
    {
        var (h, _) = Start(Signal.Constant(-3.5));
        using (h)
        {
            Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(TestContext.Current.CancellationToken));
            var q = Assert.Single(Assert.Single(h.Drain()).Quantities);
            Assert.Equal(("temperature", "°C"), (q.Name, q.Unit));
            Assert.Equal(-3.5, q.Value, 3);
        }
    }

    [Fact]
    public async Task Probe_crc_failure_unplugging_and_the_power_on_value_are_all_failed_reads()
    {
        var temperature = Signal.Constant(10);
        var (h, probe) = Start(temperature);
        using (h)
        {
            var ct = TestContext.Current.CancellationToken;
            probe.Faults.BadCrc = true;
            Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
            probe.Faults.Clear();
            probe.Faults.Nack = true;
            Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
            probe.Faults.Clear();
            temperature.Value = 85;
            Assert.Equal(PollOutcome.Failed, await h.Runner.PollOnceAsync(ct));
            temperature.Value = 11;
            Assert.Equal(PollOutcome.Published, await h.Runner.PollOnceAsync(ct));

            Assert.Equal(1, h.ErrorCount(SensorReadException.Crc));
            Assert.Equal(1, h.ErrorCount(SensorReadException.Io));
            Assert.Equal(1, h.ErrorCount(SensorReadException.OutOfRange));
            Assert.Equal(11, Assert.Single(h.Drain()).Quantities[0].Value, 3);
        }
    }
}
