namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>What one simulated device did.</summary>
/// <param name="Device">The device id.</param>
/// <param name="Generated">Samples taken.</param>
/// <param name="Published">Samples delivered: PUBACKed (QoS 1) or written to the socket (QoS 0).</param>
/// <param name="Flushed">Of <paramref name="Published"/>, those that waited in the offline buffer first.</param>
/// <param name="Dropped">Samples lost because the offline buffer was full.</param>
/// <param name="Buffered">Samples still in the buffer (undelivered) when the stats were taken.</param>
/// <param name="Disconnects">Times the device went offline (simulated or because a publish failed).</param>
/// <param name="Failures">Publishes that failed (the sample was kept for a retry).</param>
public sealed record DeviceStats(string Device, long Generated, long Published, long Flushed, long Dropped, int Buffered, int Disconnects, long Failures);

/// <summary>The outcome of <see cref="Fleet.RunAsync"/>.</summary>
/// <param name="Devices">Per device, in index order.</param>
/// <param name="Elapsed">Wall-clock time of the run (connect to final flush).</param>
public sealed record FleetReport(IReadOnlyList<DeviceStats> Devices, TimeSpan Elapsed)
{
    /// <summary>Samples taken by all devices.</summary>
    public long Generated => Devices.Sum(d => d.Generated);

    /// <summary>Samples delivered by all devices.</summary>
    public long Published => Devices.Sum(d => d.Published);

    /// <summary>Samples delivered after waiting in an offline buffer.</summary>
    public long Flushed => Devices.Sum(d => d.Flushed);

    /// <summary>Samples lost to full offline buffers.</summary>
    public long Dropped => Devices.Sum(d => d.Dropped);

    /// <summary>Samples never delivered (still buffered at the end).</summary>
    public long Undelivered => Devices.Sum(d => (long)d.Buffered);

    /// <summary>Disconnects of all devices.</summary>
    public int Disconnects => Devices.Sum(d => d.Disconnects);

    /// <summary>Failed publishes of all devices.</summary>
    public long Failures => Devices.Sum(d => d.Failures);
}
