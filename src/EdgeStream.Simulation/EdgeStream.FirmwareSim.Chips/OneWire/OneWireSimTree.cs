using System.Globalization;
using System.Text;
using EdgeStream.FirmwareSim.Chips.Signals;

namespace EdgeStream.FirmwareSim.Chips.OneWire;

/// <summary>
/// A directory laid out as the Linux w1 subsystem's <c>/sys/devices</c>: <c>&lt;root&gt;/w1_bus_master1/w1_master_slaves</c>
/// lists the probes and <c>&lt;root&gt;/w1_bus_master1/&lt;id&gt;/w1_slave</c> holds the w1_therm driver's text for a
/// conversion, byte for byte as the kernel prints it:
/// <code>
/// 72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
/// 72 01 4b 46 7f ff 0e 10 57 t=23125
/// </code>
/// The kernel converts when w1_slave is read; <see cref="Convert"/> plays that part and a reader calls it just before
/// reading. Thread-safe: conversions of one tree are serialized.
/// </summary>
public sealed class OneWireSimTree
{
    private readonly Dictionary<string, SimulatedDs18b20> _devices = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    /// <summary>Creates (or reuses) the tree under <paramref name="root"/>.</summary>
    public OneWireSimTree(string root, string busId = "w1_bus_master1", TimeProvider? timeProvider = null)
    {
        Root = root;
        BusId = busId;
        _time = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(Path.Combine(root, busId));
        WriteSlaveList();
    }

    /// <summary>The directory that stands for <c>/sys/devices</c>.</summary>
    public string Root { get; }

    /// <summary>The bus master's directory name.</summary>
    public string BusId { get; }

    /// <summary>Adds a DS18B20 (family 0x28) with the given id.</summary>
    public SimulatedDs18b20 AddThermometer(string deviceId, Signal temperatureCelsius)
    {
        if (!deviceId.StartsWith("28-", StringComparison.Ordinal))
        {
            throw new ArgumentException("A DS18B20 id starts with its family code 28-.", nameof(deviceId));
        }
        lock (_gate)
        {
            var device = new SimulatedDs18b20(deviceId, temperatureCelsius);
            _devices[deviceId] = device;
            WriteSlaveList();
            return device;
        }
    }

    /// <summary>The probe with this id, or null.</summary>
    public SimulatedDs18b20? Find(string deviceId)
    {
        lock (_gate)
        {
            return _devices.GetValueOrDefault(deviceId);
        }
    }

    /// <summary>The path of a probe's w1_slave file.</summary>
    public string SlavePath(string deviceId) => Path.Combine(Root, BusId, deviceId, "w1_slave");

    /// <summary>Performs a conversion and rewrites the probe's w1_slave file; an unplugged probe loses its directory.</summary>
    public void Convert(string deviceId)
    {
        lock (_gate)
        {
            if (!_devices.TryGetValue(deviceId, out var device))
            {
                throw new ArgumentException($"No simulated probe {deviceId}.", nameof(deviceId));
            }
            string directory = Path.Combine(Root, BusId, deviceId);
            if (device.Faults.Nack)
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
                return;
            }
            Directory.CreateDirectory(directory);
            byte[] pad = device.Faults.Stuck && device.LastScratchpad is not null
                ? device.LastScratchpad
                : Scratchpad(device.Temperature.Sample(_time.GetUtcNow()));
            device.LastScratchpad = pad;
            File.WriteAllText(Path.Combine(directory, "w1_slave"), W1SlaveText(pad, device.Faults.BadCrc));
        }
    }

    /// <summary>A 12-bit DS18B20 scratchpad for <paramref name="celsius"/> (datasheet Figure 9), CRC included.</summary>
    public static byte[] Scratchpad(double celsius)
    {
        short raw = (short)Math.Round(Math.Clamp(celsius, -55, 125) * 16);
        byte[] pad = [(byte)raw, (byte)(raw >> 8), 0x4B, 0x46, 0x7F, 0xFF, (byte)(0x10 - (raw & 0x0F)), 0x10, 0];
        pad[8] = DallasCrc8.Compute(pad.AsSpan(0, 8));
        return pad;
    }

    /// <summary>The w1_therm text for a scratchpad; with <paramref name="corrupt"/> the CRC byte is damaged in transit.</summary>
    public static string W1SlaveText(byte[] scratchpad, bool corrupt)
    {
        byte[] seen = (byte[])scratchpad.Clone();
        if (corrupt)
        {
            seen[8] ^= 0x21;
        }
        string bytes = string.Join(' ', seen.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        bool valid = DallasCrc8.Compute(seen) == 0;
        short raw = (short)(seen[0] | (seen[1] << 8));
        // w1_therm prints millidegrees as raw·1000/16 with C integer division.
        int milli = raw * 1000 / 16;
        var text = new StringBuilder();
        text.Append(bytes).Append(" : crc=").Append(seen[8].ToString("x2", CultureInfo.InvariantCulture)).Append(valid ? " YES\n" : " NO\n");
        text.Append(bytes).Append(" t=").Append(milli.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    private void WriteSlaveList()
    {
        string list = string.Concat(_devices.Keys.Order(StringComparer.Ordinal).Select(id => id + "\n"));
        File.WriteAllText(Path.Combine(Root, BusId, "w1_master_slaves"), list);
    }
}
