using System.Device.Gpio;

namespace EdgeStream.FirmwareSim.Chips.Gpio;

/// <summary>
/// A <see cref="GpioDriver"/> whose input levels are set by the test or demo: <see cref="SetInput"/> changes a
/// pin's level and raises the rising/falling callbacks a <see cref="GpioController"/> registered, on the caller's
/// thread, as the kernel's event thread would. Outputs simply hold the written value. Thread-safe; callbacks run
/// outside the driver's lock.
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PinState> _pins = [];
    private readonly int _pinCount;

    /// <summary>Creates a driver with <paramref name="pinCount"/> pins (the Pi header's 28 by default).</summary>
    public SimulatedGpioDriver(int pinCount = 28)
    {
        _pinCount = pinCount;
    }

    /// <summary>Edges raised so far, over all pins.</summary>
    public long EdgesRaised { get; private set; }

    /// <inheritdoc />
    protected override int PinCount => _pinCount;

    /// <summary>Drives an input pin to <paramref name="value"/>; a change raises the matching edge callbacks.</summary>
    public void SetInput(int pinNumber, PinValue value)
    {
        PinChangeEventHandler[] handlers;
        PinEventTypes edge;
        lock (_gate)
        {
            var pin = Pin(pinNumber);
            if (pin.Value == value)
            {
                return;
            }
            pin.Value = value;
            edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            handlers = pin.Callbacks.Where(c => (c.Events & edge) != 0).Select(c => c.Handler).ToArray();
            EdgesRaised++;
        }
        var args = new PinValueChangedEventArgs(edge, pinNumber);
        foreach (var handler in handlers)
        {
            handler(this, args);
        }
    }

    /// <summary>One low→high→low pulse per count (a flow or energy meter's output).</summary>
    public void Pulse(int pinNumber, int count = 1)
    {
        for (int i = 0; i < count; i++)
        {
            SetInput(pinNumber, PinValue.High);
            SetInput(pinNumber, PinValue.Low);
        }
    }

    /// <summary>A contact that chatters <paramref name="bounces"/> times before settling at <paramref name="final"/>.</summary>
    public void Bounce(int pinNumber, PinValue final, int bounces)
    {
        for (int i = 0; i < bounces; i++)
        {
            SetInput(pinNumber, final);
            SetInput(pinNumber, !final);
        }
        SetInput(pinNumber, final);
    }

    /// <inheritdoc />
    protected override void OpenPin(int pinNumber)
    {
        lock (_gate)
        {
            Pin(pinNumber).Open = true;
        }
    }

    /// <inheritdoc />
    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            var pin = Pin(pinNumber);
            pin.Open = false;
            pin.Callbacks.Clear();
        }
    }

    /// <inheritdoc />
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_gate)
        {
            var pin = Pin(pinNumber);
            // A pull-up input floats high until something pulls it down.
            if (mode == PinMode.InputPullUp && pin.Mode != PinMode.InputPullUp)
            {
                pin.Value = PinValue.High;
            }
            pin.Mode = mode;
        }
    }

    /// <inheritdoc />
    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_gate)
        {
            return Pin(pinNumber).Mode;
        }
    }

    /// <inheritdoc />
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode)
        => mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown or PinMode.Output;

    /// <inheritdoc />
    protected override PinValue Read(int pinNumber)
    {
        lock (_gate)
        {
            return Pin(pinNumber).Value;
        }
    }

    /// <inheritdoc />
    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_gate)
        {
            Pin(pinNumber).Value = value;
        }
    }

    /// <inheritdoc />
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var signalled = new ManualResetEventSlim();
        PinEventTypes seen = PinEventTypes.None;
        void OnEdge(object sender, PinValueChangedEventArgs e)
        {
            seen = e.ChangeType;
            signalled.Set();
        }
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, OnEdge);
        try
        {
            signalled.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = seen, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, OnEdge);
        }
    }

    /// <inheritdoc />
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            Pin(pinNumber).Callbacks.Add((eventTypes, callback));
        }
    }

    /// <inheritdoc />
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            Pin(pinNumber).Callbacks.RemoveAll(c => c.Handler == callback);
        }
    }

    private PinState Pin(int pinNumber)
    {
        if (pinNumber < 0 || pinNumber >= _pinCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pinNumber), pinNumber, $"The simulated header has pins 0..{_pinCount - 1}.");
        }
        if (!_pins.TryGetValue(pinNumber, out var pin))
        {
            pin = new PinState();
            _pins[pinNumber] = pin;
        }
        return pin;
    }

    private sealed class PinState
    {
        public bool Open { get; set; }

        public PinMode Mode { get; set; } = PinMode.Input;

        public PinValue Value { get; set; } = PinValue.Low;

        public List<(PinEventTypes Events, PinChangeEventHandler Handler)> Callbacks { get; } = [];
    }
}
