using System.Device.Gpio;
using EdgeStream.FirmwareSim.Chips.Gpio;

namespace EdgeStream.Ingest.Sensors.Tests.Chips;

public sealed class SimulatedGpioDriverTests
{
    [Fact]
    public void Controller_callbacks_see_rising_and_falling_edges()
    {
        var driver = new SimulatedGpioDriver();
        using var controller = new GpioController(driver);
        controller.OpenPin(17, PinMode.Input);
        var edges = new List<PinEventTypes>();
        controller.RegisterCallbackForPinValueChangedEvent(17, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => edges.Add(e.ChangeType));

        driver.Pulse(17, 2);

        Assert.Equal([PinEventTypes.Rising, PinEventTypes.Falling, PinEventTypes.Rising, PinEventTypes.Falling], edges);
        Assert.Equal(PinValue.Low, controller.Read(17));
    }

    [Fact]
    public void Pull_up_input_idles_high()
    {
        var driver = new SimulatedGpioDriver();
        using var controller = new GpioController(driver);
        controller.OpenPin(4, PinMode.InputPullUp);
        Assert.Equal(PinValue.High, controller.Read(4));
    }
}
