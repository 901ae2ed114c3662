namespace EdgeStream.Bench;

/// <summary>
/// One measured workload: <see cref="Appenders"/> concurrent writers each appending batches of <see cref="BatchSize"/>
/// records of <see cref="RecordBytes"/> and waiting until each batch is durable, for <see cref="Duration"/>.
/// </summary>
internal sealed record Workload(int RecordBytes, int Appenders, int BatchSize, TimeSpan Duration)
{
    /// <summary>A record payload: not all zeros, so no layer can cheat by noticing zero pages.</summary>
    public byte[] Payload()
    {
        var bytes = new byte[RecordBytes];
        new Random(RecordBytes).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>What one run achieved: durable records and payload bytes over the elapsed time.</summary>
internal sealed record Measurement(string System, string Mode, Workload Workload, long Records, TimeSpan Elapsed)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public double MegabytesPerSecond => Records * (double)Workload.RecordBytes / (1 << 20) / Elapsed.TotalSeconds;
}
