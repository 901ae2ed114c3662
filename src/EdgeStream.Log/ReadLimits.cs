namespace EdgeStream.Log;

/// <summary>
/// Bounds on one read. At least one record is returned when one is available, even if it alone exceeds
/// <see cref="MaxBytes"/>, so a large record can never stall a reader.
/// </summary>
/// <param name="MaxRecords">Most records to return.</param>
/// <param name="MaxBytes">Approximate most value+key+header bytes to return.</param>
public readonly record struct ReadLimits(int MaxRecords = 1000, int MaxBytes = 1 << 20)
{
    /// <summary>1000 records or 1 MiB.</summary>
    public static ReadLimits Default => new(1000, 1 << 20);
}
